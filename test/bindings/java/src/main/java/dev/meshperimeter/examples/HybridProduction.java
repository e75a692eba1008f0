// The hybrid-production example (examples/hybrid-production/chart.ts) in Java: the mesh-wide deny, `production` in ambient with
// STRICT mTLS, frontend -> backend-api:8080 only, one exit to api.external.com:443, and the NetworkPolicy backstop.
package dev.meshperimeter.examples;

// [readme-snippet]
import java.util.List;
import java.util.Map;

import dev.meshperimeter.cdk8s.EgressAllowOptions;
import dev.meshperimeter.cdk8s.EgressPerimeterOptions;
import dev.meshperimeter.cdk8s.ExternalHost;
import dev.meshperimeter.cdk8s.IstioVersion;
import dev.meshperimeter.cdk8s.KernelBackstop;
import dev.meshperimeter.cdk8s.MeshNamespace;
import dev.meshperimeter.cdk8s.MeshPerimeter;
import dev.meshperimeter.cdk8s.SpiffeAllowProps;
import dev.meshperimeter.cdk8s.Workload;
import org.cdk8s.Chart;
import software.constructs.Construct;

public class HybridProduction extends Chart {
    public HybridProduction(Construct scope, String id) {
        super(scope, id);
        MeshPerimeter perimeter = MeshPerimeter.Builder.create(this, "perimeter")
            .trustDomain("cluster.local")
            .istioVersion(IstioVersion.V1_28)
            .build();
        MeshNamespace production = MeshNamespace.Builder.create(perimeter, "production")
            .labels(Map.of("environment", "production", "app.kubernetes.io/part-of", "hybrid-production"))
            .build();

        Workload frontend = Workload.fromDeployment(Microservice.builder(this, "production", "frontend")
            .serviceAccount("frontend-sa").ports(8080).service(80, 8080).build().deployment());
        Workload backend = Workload.fromDeployment(Microservice.builder(this, "production", "backend-api")
            .ports(8080).service(8080, 8080).build().deployment());

        production.allow("frontend-to-backend", SpiffeAllowProps.builder()
            .from(List.of(frontend.getIdentity())).to(backend).ports(List.of(8080)).build());

        production.egress("egress", EgressPerimeterOptions.builder().waypointName("production-egress-gateway").build())
            .allow(EgressAllowOptions.builder()
                .from(List.of(backend.getIdentity()))
                .hosts(List.of(ExternalHost.tls("api.external.com")))
                .build());

        KernelBackstop.Builder.create(perimeter, "backstop")
            // the on-prem pod and Service ranges, which the egress gateway may not treat as "the internet"
            .clusterCidrs(List.of("10.42.0.0/16", "10.43.0.0/16"))
            .build();
    }
}
// [/readme-snippet]

// The fintech example (examples/fintech/chart.ts) in Java: HTTP rules for payment-processor checked by a waypoint,
// a DENY that outranks them, and Prometheus scraping port 9090 from outside the mesh.
package dev.meshperimeter.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.meshperimeter.cdk8s.HeaderCondition;
import dev.meshperimeter.cdk8s.Identity;
import dev.meshperimeter.cdk8s.IstioVersion;
import dev.meshperimeter.cdk8s.KernelBackstop;
import dev.meshperimeter.cdk8s.MeshNamespace;
import dev.meshperimeter.cdk8s.MeshPerimeter;
import dev.meshperimeter.cdk8s.NamespaceWaypointOptions;
import dev.meshperimeter.cdk8s.ObservabilityProps;
import dev.meshperimeter.cdk8s.SpiffeAllowProps;
import dev.meshperimeter.cdk8s.SpiffeDenyProps;
import dev.meshperimeter.cdk8s.Workload;
import org.cdk8s.Chart;
import software.constructs.Construct;

public class Fintech extends Chart {
    public Fintech(Construct scope, String id) {
        super(scope, id);
        MeshPerimeter perimeter = MeshPerimeter.Builder.create(this, "perimeter")
            .istioVersion(IstioVersion.V1_28)
            .observability(ObservabilityProps.builder().prometheusRuleLabels(Map.of("release", "prometheus")).namespace("monitoring").build())
            .build();
        MeshNamespace core = MeshNamespace.Builder.create(perimeter, "fintech-core")
            .waypoint(NamespaceWaypointOptions.builder().name("payment-waypoint").build())
            .build();

        Microservice processor = Microservice.builder(this, "fintech-core", "payment-processor")
            .image("payment-processor:2.1.0")
            .ports(8443, 9090)
            .service(443, 8443)
            .service(9090, 9090)
            .build();
        Map<String, Identity> clients = new LinkedHashMap<>();
        for (String name : List.of("order-service", "checkout-service", "refund-service", "admin-console")) {
            clients.put(name, Workload.fromDeployment(Microservice.builder(this, "fintech-core", name).ports(8080).build().deployment()).getIdentity());
        }
        Workload payments = Workload.fromDeployment(processor.deployment());

        core.allow("process-payments", SpiffeAllowProps.builder()
            .from(List.of(clients.get("order-service"), clients.get("checkout-service")))
            .to(payments)
            .ports(List.of(8443))
            .methods(List.of("POST"))
            .paths(List.of("/api/v2/payments/process", "/api/v2/payments/authorize"))
            .headers(List.of(HeaderCondition.builder().name("x-request-id").values(List.of("*")).build()))
            .build());
        core.allow("refunds", SpiffeAllowProps.builder()
            .from(List.of(clients.get("refund-service")))
            .to(payments)
            .ports(List.of(8443))
            .methods(List.of("POST"))
            .paths(List.of("/api/v2/payments/refund"))
            .headers(List.of(HeaderCondition.builder().name("x-approval-token").values(List.of("*")).build()))
            .build());
        core.allow("payment-status", SpiffeAllowProps.builder()
            .from(List.of(clients.get("admin-console")))
            .to(payments)
            .ports(List.of(8443))
            .methods(List.of("GET"))
            .paths(List.of("/api/v2/payments/status/*"))
            .headers(List.of(HeaderCondition.builder().name("user-role").values(List.of("payment-admin", "compliance-officer")).build()))
            .build());
        core.allow("prometheus-scrape", SpiffeAllowProps.builder()
            .from(List.of(Identity.outOfMesh("monitoring", Map.of("app", "prometheus"))))
            .to(payments)
            .ports(List.of(9090))
            .build());
        // A stolen admin-console credential still cannot move money.
        core.deny("admin-console-never-writes", SpiffeDenyProps.builder()
            .from(List.of(Identity.serviceAccount("fintech-core", "admin-console")))
            .to(payments)
            .ports(List.of(8443))
            .methods(List.of("POST", "PUT", "PATCH", "DELETE"))
            .build());

        new KernelBackstop(perimeter, "backstop");
    }
}

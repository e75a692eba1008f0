// The hybrid-production example (examples/hybrid-production/chart.ts) in Go: the mesh-wide deny, `production` in ambient with
// STRICT mTLS, frontend -> backend-api:8080 only, one exit to api.external.com:443, and the NetworkPolicy backstop.
package main

// [readme-snippet]
import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-mesh-perimeter/cdk8s-mesh-perimeter-go/cdk8smeshperimeter"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
)

func NewHybridProduction(scope constructs.Construct, id string) cdk8s.Chart {
	chart := cdk8s.NewChart(scope, jsii.String(id), nil)
	perimeter := cdk8smeshperimeter.NewMeshPerimeter(chart, jsii.String("perimeter"), &cdk8smeshperimeter.MeshPerimeterProps{
		TrustDomain:  jsii.String("cluster.local"),
		IstioVersion: cdk8smeshperimeter.IstioVersion_V1_28(),
	})
	production := cdk8smeshperimeter.NewMeshNamespace(perimeter, jsii.String("production"), &cdk8smeshperimeter.MeshNamespaceProps{
		Labels: &map[string]*string{"environment": jsii.String("production"), "app.kubernetes.io/part-of": jsii.String("hybrid-production")},
	})

	frontend := cdk8smeshperimeter.Workload_FromDeployment(NewMicroservice(chart, MicroserviceProps{
		Namespace: "production", Name: "frontend", ServiceAccount: "frontend-sa", Ports: []float64{8080}, Service: [][2]float64{{80, 8080}},
	}).Deployment, nil)
	backend := cdk8smeshperimeter.Workload_FromDeployment(NewMicroservice(chart, MicroserviceProps{
		Namespace: "production", Name: "backend-api", Ports: []float64{8080}, Service: [][2]float64{{8080, 8080}},
	}).Deployment, nil)

	production.Allow(jsii.String("frontend-to-backend"), &cdk8smeshperimeter.SpiffeAllowProps{
		From: &[]cdk8smeshperimeter.Identity{frontend.Identity()}, To: backend, Ports: jsii.Numbers(8080),
	})

	production.Egress(jsii.String("egress"), &cdk8smeshperimeter.EgressPerimeterOptions{
		WaypointName: jsii.String("production-egress-gateway"),
	}).Allow(&cdk8smeshperimeter.EgressAllowOptions{
		From:  &[]cdk8smeshperimeter.Identity{backend.Identity()},
		Hosts: &[]cdk8smeshperimeter.ExternalHost{cdk8smeshperimeter.ExternalHost_Tls(jsii.String("api.external.com"), nil)},
	})

	cdk8smeshperimeter.NewKernelBackstop(perimeter, jsii.String("backstop"), &cdk8smeshperimeter.KernelBackstopProps{
		// the on-prem pod and Service ranges, which the egress gateway may not treat as "the internet"
		ClusterCidrs: jsii.Strings("10.42.0.0/16", "10.43.0.0/16"),
	})
	return chart
}

// [/readme-snippet]

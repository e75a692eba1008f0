// The fintech example (examples/fintech/chart.ts) in Go: HTTP rules for payment-processor checked by a waypoint,
// a DENY that outranks them, and Prometheus scraping port 9090 from outside the mesh.
package main

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-mesh-perimeter/cdk8s-mesh-perimeter-go/cdk8smeshperimeter"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
)

func NewFintech(scope constructs.Construct, id string) cdk8s.Chart {
	chart := cdk8s.NewChart(scope, jsii.String(id), nil)
	perimeter := cdk8smeshperimeter.NewMeshPerimeter(chart, jsii.String("perimeter"), &cdk8smeshperimeter.MeshPerimeterProps{
		IstioVersion: cdk8smeshperimeter.IstioVersion_V1_28(),
		Observability: &cdk8smeshperimeter.ObservabilityProps{
			PrometheusRuleLabels: &map[string]*string{"release": jsii.String("prometheus")},
			Namespace:            jsii.String("monitoring"),
		},
	})
	core := cdk8smeshperimeter.NewMeshNamespace(perimeter, jsii.String("fintech-core"), &cdk8smeshperimeter.MeshNamespaceProps{
		Waypoint: &cdk8smeshperimeter.NamespaceWaypointOptions{Name: jsii.String("payment-waypoint")},
	})

	processor := NewMicroservice(chart, MicroserviceProps{
		Namespace: "fintech-core",
		Name:      "payment-processor",
		Image:     "payment-processor:2.1.0",
		Ports:     []float64{8443, 9090},
		Service:   [][2]float64{{443, 8443}, {9090, 9090}},
	})
	clients := map[string]cdk8smeshperimeter.Identity{}
	for _, name := range []string{"order-service", "checkout-service", "refund-service", "admin-console"} {
		clients[name] = cdk8smeshperimeter.Workload_FromDeployment(NewMicroservice(chart, MicroserviceProps{
			Namespace: "fintech-core", Name: name, Ports: []float64{8080},
		}).Deployment, nil).Identity()
	}
	payments := cdk8smeshperimeter.Workload_FromDeployment(processor.Deployment, nil)

	core.Allow(jsii.String("process-payments"), &cdk8smeshperimeter.SpiffeAllowProps{
		From:    &[]cdk8smeshperimeter.Identity{clients["order-service"], clients["checkout-service"]},
		To:      payments,
		Ports:   jsii.Numbers(8443),
		Methods: jsii.Strings("POST"),
		Paths:   jsii.Strings("/api/v2/payments/process", "/api/v2/payments/authorize"),
		Headers: &[]*cdk8smeshperimeter.HeaderCondition{{Name: jsii.String("x-request-id"), Values: jsii.Strings("*")}},
	})
	core.Allow(jsii.String("refunds"), &cdk8smeshperimeter.SpiffeAllowProps{
		From:    &[]cdk8smeshperimeter.Identity{clients["refund-service"]},
		To:      payments,
		Ports:   jsii.Numbers(8443),
		Methods: jsii.Strings("POST"),
		Paths:   jsii.Strings("/api/v2/payments/refund"),
		Headers: &[]*cdk8smeshperimeter.HeaderCondition{{Name: jsii.String("x-approval-token"), Values: jsii.Strings("*")}},
	})
	core.Allow(jsii.String("payment-status"), &cdk8smeshperimeter.SpiffeAllowProps{
		From:    &[]cdk8smeshperimeter.Identity{clients["admin-console"]},
		To:      payments,
		Ports:   jsii.Numbers(8443),
		Methods: jsii.Strings("GET"),
		Paths:   jsii.Strings("/api/v2/payments/status/*"),
		Headers: &[]*cdk8smeshperimeter.HeaderCondition{{Name: jsii.String("user-role"), Values: jsii.Strings("payment-admin", "compliance-officer")}},
	})
	core.Allow(jsii.String("prometheus-scrape"), &cdk8smeshperimeter.SpiffeAllowProps{
		From:  &[]cdk8smeshperimeter.Identity{cdk8smeshperimeter.Identity_OutOfMesh(jsii.String("monitoring"), &map[string]*string{"app": jsii.String("prometheus")})},
		To:    payments,
		Ports: jsii.Numbers(9090),
	})
	// A stolen admin-console credential still cannot move money.
	core.Deny(jsii.String("admin-console-never-writes"), &cdk8smeshperimeter.SpiffeDenyProps{
		From:    &[]cdk8smeshperimeter.Identity{cdk8smeshperimeter.Identity_ServiceAccount(jsii.String("fintech-core"), jsii.String("admin-console"))},
		To:      payments,
		Ports:   jsii.Numbers(8443),
		Methods: jsii.Strings("POST", "PUT", "PATCH", "DELETE"),
	})

	cdk8smeshperimeter.NewKernelBackstop(perimeter, jsii.String("backstop"), nil)
	return chart
}

// Synthesizes the perimeters as examples/<name>/main.ts do, each app into OUTDIR/<name>/ (default: dist/).
//
//	perimeter-app [OUTDIR]            hybrid-production and fintech
//	perimeter-app --bad-trust-domain  a perimeter with an invalid trust domain: fails as in TypeScript
package main

import (
	"os"
	"path/filepath"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-mesh-perimeter/cdk8s-mesh-perimeter-go/cdk8smeshperimeter"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
)

func main() {
	defer jsii.Close()
	if len(os.Args) > 1 && os.Args[1] == "--bad-trust-domain" {
		cdk8smeshperimeter.NewMeshPerimeter(cdk8s.NewChart(cdk8s.NewApp(nil), jsii.String("hybrid-production"), nil), jsii.String("perimeter"),
			&cdk8smeshperimeter.MeshPerimeterProps{TrustDomain: jsii.String("Cluster.Local")})
		return
	}
	outdir := "dist"
	if len(os.Args) > 1 {
		outdir = os.Args[1]
	}
	for _, example := range []struct {
		name  string
		chart func(constructs.Construct, string) cdk8s.Chart
	}{{"hybrid-production", NewHybridProduction}, {"fintech", NewFintech}} {
		app := cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(filepath.Join(outdir, example.name))})
		example.chart(app, example.name)
		app.Synth()
	}
}

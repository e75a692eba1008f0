package main

import (
	"fmt"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/cdk8s-team/cdk8s-plus-go/cdk8splus30/v2"
)

// MicroserviceProps describe one app of the examples (examples/lib/microservice.ts).
type MicroserviceProps struct {
	Namespace string
	Name      string
	// Container ports.
	Ports []float64
	// Defaults to Name.
	ServiceAccount string
	// Service ports as {port, targetPort}; no Service when empty.
	Service [][2]float64
	// The protocol prefix of the Service port names (Istio's protocol selection). Defaults to "http".
	ServiceProtocol string
	// Defaults to "<Name>:1.0.0".
	Image string
}

// Microservice is one Deployment labelled `app: <name>`, running as its own ServiceAccount, with a ClusterIP
// Service when it serves traffic.
type Microservice struct {
	Deployment     cdk8splus30.Deployment
	ServiceAccount cdk8splus30.ServiceAccount
	Service        cdk8splus30.Service
}

// NewMicroservice is the examples' helper (examples/lib/microservice.ts) in Go.
func NewMicroservice(scope constructs.Construct, props MicroserviceProps) Microservice {
	image := props.Image
	if image == "" {
		image = props.Name + ":1.0.0"
	}
	accountName := props.ServiceAccount
	if accountName == "" {
		accountName = props.Name
	}
	account := cdk8splus30.NewServiceAccount(scope, jsii.String(props.Name+"-sa"), &cdk8splus30.ServiceAccountProps{
		Metadata: &cdk8s.ApiObjectMetadata{Name: jsii.String(accountName), Namespace: jsii.String(props.Namespace)},
	})
	ports := []*cdk8splus30.ContainerPort{}
	for _, number := range props.Ports {
		ports = append(ports, &cdk8splus30.ContainerPort{Number: jsii.Number(number)})
	}
	deployment := cdk8splus30.NewDeployment(scope, jsii.String(props.Name), &cdk8splus30.DeploymentProps{
		Metadata:       &cdk8s.ApiObjectMetadata{Name: jsii.String(props.Name), Namespace: jsii.String(props.Namespace)},
		ServiceAccount: account,
		Select:         jsii.Bool(false),
		// `app` and `version` are the labels Istio reads for a workload's canonical service name and revision
		PodMetadata: &cdk8s.ApiObjectMetadata{Labels: &map[string]*string{
			"app":     jsii.String(props.Name),
			"version": jsii.String(imageTag(image)),
		}},
		Containers: &[]*cdk8splus30.ContainerProps{{
			Image:           jsii.String(image),
			Ports:           &ports,
			SecurityContext: &cdk8splus30.ContainerSecurityContextProps{EnsureNonRoot: jsii.Bool(false)},
		}},
	})
	deployment.Select(cdk8splus30.LabelSelector_Of(&cdk8splus30.LabelSelectorOptions{
		Labels: &map[string]*string{"app": jsii.String(props.Name)},
	}))
	var service cdk8splus30.Service
	if len(props.Service) > 0 {
		protocol := props.ServiceProtocol
		if protocol == "" {
			protocol = "http"
		}
		servicePorts := []*cdk8splus30.ServicePort{}
		for _, p := range props.Service {
			servicePorts = append(servicePorts, &cdk8splus30.ServicePort{
				Port: jsii.Number(p[0]), TargetPort: jsii.Number(p[1]), Name: jsii.String(fmt.Sprintf("%s-%d", protocol, int(p[0]))),
			})
		}
		service = cdk8splus30.NewService(scope, jsii.String(props.Name+"-svc"), &cdk8splus30.ServiceProps{
			Metadata: &cdk8s.ApiObjectMetadata{Name: jsii.String(props.Name), Namespace: jsii.String(props.Namespace)},
			Ports:    &servicePorts,
		})
		service.SelectLabel(jsii.String("app"), jsii.String(props.Name))
	}
	return Microservice{Deployment: deployment, ServiceAccount: account, Service: service}
}

// imageTag is the tag of an image reference ("latest" when it has none).
func imageTag(image string) string {
	tail := image[strings.LastIndex(image, "/")+1:]
	if i := strings.LastIndex(tail, ":"); i >= 0 {
		return tail[i+1:]
	}
	return "latest"
}

package dev.meshperimeter.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.cdk8s.ApiObjectMetadata;
import org.cdk8s.plus30.ContainerPort;
import org.cdk8s.plus30.ContainerProps;
import org.cdk8s.plus30.ContainerSecurityContextProps;
import org.cdk8s.plus30.Deployment;
import org.cdk8s.plus30.LabelSelector;
import org.cdk8s.plus30.LabelSelectorOptions;
import org.cdk8s.plus30.Service;
import org.cdk8s.plus30.ServiceAccount;
import org.cdk8s.plus30.ServicePort;
import software.constructs.Construct;

/**
 * The examples' helper (examples/lib/microservice.ts) in Java: one Deployment labelled {@code app: <name>},
 * running as its own ServiceAccount, with a ClusterIP Service when it serves traffic.
 */
public record Microservice(Deployment deployment, ServiceAccount serviceAccount, Service service) {

    public static Builder builder(Construct scope, String namespace, String name) {
        return new Builder(scope, namespace, name);
    }

    public static final class Builder {
        private final Construct scope;
        private final String namespace;
        private final String name;
        private final List<Integer> ports = new ArrayList<>();
        private final List<int[]> service = new ArrayList<>();
        private String serviceAccount;
        private String serviceProtocol = "http";
        private String image;

        private Builder(Construct scope, String namespace, String name) {
            this.scope = scope;
            this.namespace = namespace;
            this.name = name;
        }

        /** Container ports. */
        public Builder ports(Integer... numbers) {
            ports.addAll(List.of(numbers));
            return this;
        }

        /** A Service port (the Service is created once a port is given). */
        public Builder service(int port, int targetPort) {
            service.add(new int[] {port, targetPort});
            return this;
        }

        public Builder serviceAccount(String serviceAccount) {
            this.serviceAccount = serviceAccount;
            return this;
        }

        public Builder serviceProtocol(String serviceProtocol) {
            this.serviceProtocol = serviceProtocol;
            return this;
        }

        public Builder image(String image) {
            this.image = image;
            return this;
        }

        public Microservice build() {
            String image = this.image != null ? this.image : name + ":1.0.0";
            ServiceAccount account = ServiceAccount.Builder.create(scope, name + "-sa")
                .metadata(ApiObjectMetadata.builder().name(serviceAccount != null ? serviceAccount : name).namespace(namespace).build())
                .build();
            Deployment deployment = Deployment.Builder.create(scope, name)
                .metadata(ApiObjectMetadata.builder().name(name).namespace(namespace).build())
                .serviceAccount(account)
                .select(false)
                // `app` and `version` are the labels Istio reads for a workload's canonical service name and revision
                .podMetadata(ApiObjectMetadata.builder().labels(Map.of("app", name, "version", imageTag(image))).build())
                .containers(List.of(ContainerProps.builder()
                    .image(image)
                    .ports(ports.stream().map(number -> ContainerPort.builder().number(number).build()).toList())
                    .securityContext(ContainerSecurityContextProps.builder().ensureNonRoot(false).build())
                    .build()))
                .build();
            deployment.select(LabelSelector.of(LabelSelectorOptions.builder().labels(Map.of("app", name)).build()));
            Service svc = null;
            if (!service.isEmpty()) {
                svc = Service.Builder.create(scope, name + "-svc")
                    .metadata(ApiObjectMetadata.builder().name(name).namespace(namespace).build())
                    .ports(service.stream().map(p -> ServicePort.builder()
                        .port(p[0]).targetPort(p[1]).name(serviceProtocol + "-" + p[0]).build()).toList())
                    .build();
                svc.selectLabel("app", name);
            }
            return new Microservice(deployment, account, svc);
        }
    }

    /** The tag of an image reference ({@code latest} when it has none). */
    private static String imageTag(String image) {
        String tail = image.substring(image.lastIndexOf('/') + 1);
        return tail.contains(":") ? tail.substring(tail.lastIndexOf(':') + 1) : "latest";
    }
}

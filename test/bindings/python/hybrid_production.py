# The hybrid-production example (examples/hybrid-production/chart.ts) in Python: the mesh-wide deny, `production` in ambient with
# STRICT mTLS, frontend -> backend-api:8080 only, one exit to api.external.com:443, and the NetworkPolicy backstop.
# [readme-snippet]
from cdk8s import Chart
from cdk8s_mesh_perimeter import (
    ExternalHost, IstioVersion, KernelBackstop, MeshNamespace, MeshPerimeter, Workload,
)
from constructs import Construct

from microservice import microservice


class HybridProduction(Chart):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        perimeter = MeshPerimeter(self, "perimeter", trust_domain="cluster.local", istio_version=IstioVersion.V1_28)
        production = MeshNamespace(perimeter, "production", labels={
            "environment": "production", "app.kubernetes.io/part-of": "hybrid-production",
        })

        frontend = Workload.from_deployment(microservice(
            self, namespace="production", name="frontend", service_account="frontend-sa", ports=[8080], service=[(80, 8080)],
        ).deployment)
        backend = Workload.from_deployment(microservice(
            self, namespace="production", name="backend-api", ports=[8080], service=[(8080, 8080)],
        ).deployment)

        production.allow("frontend-to-backend", from_=[frontend.identity], to=backend, ports=[8080])

        production.egress("egress", waypoint_name="production-egress-gateway").allow(
            from_=[backend.identity],
            hosts=[ExternalHost.tls("api.external.com")],
        )

        # the on-prem pod and Service ranges, which the egress gateway may not treat as "the internet"
        KernelBackstop(perimeter, "backstop", cluster_cidrs=["10.42.0.0/16", "10.43.0.0/16"])
# [/readme-snippet]

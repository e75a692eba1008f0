# The fintech example (examples/fintech/chart.ts) in Python: HTTP rules for payment-processor checked by a waypoint,
# a DENY that outranks them, and Prometheus scraping port 9090 from outside the mesh.
from cdk8s import Chart
from cdk8s_mesh_perimeter import (
    HeaderCondition, Identity, IstioVersion, KernelBackstop, MeshNamespace, MeshPerimeter, ObservabilityProps, Workload,
)
from constructs import Construct

from microservice import microservice


class Fintech(Chart):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        perimeter = MeshPerimeter(
            self, "perimeter", istio_version=IstioVersion.V1_28,
            observability=ObservabilityProps(prometheus_rule_labels={"release": "prometheus"}, namespace="monitoring"),
        )
        core = MeshNamespace(perimeter, "fintech-core", waypoint={"name": "payment-waypoint"})

        processor = microservice(
            self,
            namespace="fintech-core",
            name="payment-processor",
            image="payment-processor:2.1.0",
            ports=[8443, 9090],
            service=[(443, 8443), (9090, 9090)],
        )
        clients = {
            name: Workload.from_deployment(microservice(self, namespace="fintech-core", name=name, ports=[8080]).deployment).identity
            for name in ["order-service", "checkout-service", "refund-service", "admin-console"]
        }
        payments = Workload.from_deployment(processor.deployment)

        core.allow(
            "process-payments",
            from_=[clients["order-service"], clients["checkout-service"]],
            to=payments,
            ports=[8443],
            methods=["POST"],
            paths=["/api/v2/payments/process", "/api/v2/payments/authorize"],
            headers=[HeaderCondition(name="x-request-id", values=["*"])],
        )
        core.allow(
            "refunds",
            from_=[clients["refund-service"]],
            to=payments,
            ports=[8443],
            methods=["POST"],
            paths=["/api/v2/payments/refund"],
            headers=[HeaderCondition(name="x-approval-token", values=["*"])],
        )
        core.allow(
            "payment-status",
            from_=[clients["admin-console"]],
            to=payments,
            ports=[8443],
            methods=["GET"],
            paths=["/api/v2/payments/status/*"],
            headers=[HeaderCondition(name="user-role", values=["payment-admin", "compliance-officer"])],
        )
        core.allow(
            "prometheus-scrape",
            from_=[Identity.out_of_mesh("monitoring", {"app": "prometheus"})],
            to=payments,
            ports=[9090],
        )
        # A stolen admin-console credential still cannot move money.
        core.deny(
            "admin-console-never-writes",
            from_=[Identity.service_account("fintech-core", "admin-console")],
            to=payments,
            ports=[8443],
            methods=["POST", "PUT", "PATCH", "DELETE"],
        )

        KernelBackstop(perimeter, "backstop")

"""The examples' helper (examples/lib/microservice.ts) in Python: one Deployment labelled ``app: <name>``,
running as its own ServiceAccount, with a ClusterIP Service when it serves traffic."""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import cdk8s_plus_30 as kplus
from constructs import Construct


@dataclass(frozen=True)
class Microservice:
    deployment: kplus.Deployment
    service_account: kplus.ServiceAccount
    service: Optional[kplus.Service] = None


def microservice(
    scope: Construct,
    *,
    namespace: str,
    name: str,
    ports: Sequence[int],
    service_account: Optional[str] = None,
    service: Optional[Sequence[Tuple[int, int]]] = None,
    service_protocol: str = "http",
    image: Optional[str] = None,
) -> Microservice:
    image = image or f"{name}:1.0.0"
    account = kplus.ServiceAccount(
        scope, f"{name}-sa", metadata={"name": service_account or name, "namespace": namespace}
    )
    deployment = kplus.Deployment(
        scope,
        name,
        metadata={"name": name, "namespace": namespace},
        service_account=account,
        select=False,
        # `app` and `version` are the labels Istio reads for a workload's canonical service name and revision
        pod_metadata={"labels": {"app": name, "version": _image_tag(image)}},
        containers=[
            kplus.ContainerProps(
                image=image,
                ports=[kplus.ContainerPort(number=number) for number in ports],
                security_context=kplus.ContainerSecurityContextProps(ensure_non_root=False),
            )
        ],
    )
    deployment.select(kplus.LabelSelector.of(labels={"app": name}))
    svc = None
    if service:
        svc = kplus.Service(
            scope,
            f"{name}-svc",
            metadata={"name": name, "namespace": namespace},
            ports=[
                kplus.ServicePort(port=port, target_port=target_port, name=f"{service_protocol}-{port}")
                for port, target_port in service
            ],
        )
        svc.select_label("app", name)
    return Microservice(deployment, account, svc)


def _image_tag(image: str) -> str:
    """The tag of an image reference (``latest`` when it has none)."""
    tail = image.split("/")[-1]
    return tail.split(":")[-1] if ":" in tail else "latest"

"""Synthesizes the perimeters as examples/<name>/main.ts do, each app into OUTDIR/<name>/ (default: dist/).

    python main.py [OUTDIR]            hybrid-production and fintech
    python main.py --bad-trust-domain  a perimeter with an invalid trust domain: fails as in TypeScript
"""
import os
import sys

from cdk8s import App, Chart
from cdk8s_mesh_perimeter import MeshPerimeter

from fintech import Fintech
from hybrid_production import HybridProduction


def main(args: list) -> None:
    if args[:1] == ["--bad-trust-domain"]:
        MeshPerimeter(Chart(App(), "hybrid-production"), "perimeter", trust_domain="Cluster.Local")
        return
    outdir = args[0] if args else "dist"
    for name, chart in (("hybrid-production", HybridProduction), ("fintech", Fintech)):
        app = App(outdir=os.path.join(outdir, name))
        chart(app, name)
        app.synth()


if __name__ == "__main__":
    main(sys.argv[1:])

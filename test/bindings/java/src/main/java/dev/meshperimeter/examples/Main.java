package dev.meshperimeter.examples;

import java.nio.file.Path;

import dev.meshperimeter.cdk8s.MeshPerimeter;
import org.cdk8s.App;
import org.cdk8s.AppProps;
import org.cdk8s.Chart;

/**
 * Synthesizes the perimeters as examples/&lt;name&gt;/main.ts do, each app into OUTDIR/&lt;name&gt;/ (default: dist/).
 * <pre>
 *   java dev.meshperimeter.examples.Main [OUTDIR]            hybrid-production and fintech
 *   java dev.meshperimeter.examples.Main --bad-trust-domain  a perimeter with an invalid trust domain: fails as in TypeScript
 * </pre>
 */
public final class Main {
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("--bad-trust-domain")) {
            MeshPerimeter.Builder.create(new Chart(new App(), "hybrid-production"), "perimeter").trustDomain("Cluster.Local").build();
            return;
        }
        Path outdir = Path.of(args.length > 0 ? args[0] : "dist");

        App hybrid = new App(AppProps.builder().outdir(outdir.resolve("hybrid-production").toString()).build());
        new HybridProduction(hybrid, "hybrid-production");
        hybrid.synth();

        App fintech = new App(AppProps.builder().outdir(outdir.resolve("fintech").toString()).build());
        new Fintech(fintech, "fintech");
        fintech.synth();
    }
}

# The bifurcation and synchronization report: HTML with PNG figures, also listed in
# `snakemake --report` (each figure with its caption from workflows/report/).


def report_inputs(wildcards):
    inputs = {"sweep": f"{STUDY}/sweep.zarr"}
    if config.get("bifurcation"):
        inputs["orbit"] = f"{STUDY}/orbit.zarr"
    if config.get("continuation"):
        inputs["continuation"] = f"{STUDY}/continuation.zarr"
    return inputs


rule report:
    input:
        unpack(report_inputs),
    output:
        report(
            directory(f"{STUDY}/report"),
            patterns=["figures/{name}.png"],
            caption="../report/figures.rst",
            category="Study",
        ),
    params:
        settings=config["report"],
    resources:
        mem_mb=4000,
        runtime=30,
    log:
        f"{STUDY}/logs/report.log",
    script:
        "../scripts/report.py"

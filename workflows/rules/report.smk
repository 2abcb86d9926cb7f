# The bifurcation and synchronization report: HTML with PNG figures, also listed in
# `snakemake --report` (each figure with its caption from workflows/report/).


rule report:
    input:
        sweep=f"{STUDY}/sweep.zarr",
        **({"orbit": f"{STUDY}/orbit.zarr"} if config.get("bifurcation") else {}),
        **({"continuation": f"{STUDY}/continuation.zarr"} if config.get("continuation") else {}),
        **(
            {"portraits": f"{STUDY}/phase_portraits.zarr"}
            if config.get("phase_portraits")
            else {}
        ),
        **({"basins": f"{STUDY}/basins.zarr"} if config.get("basins") else {}),
        **({"reconstruct": f"{STUDY}/reconstruct.zarr"} if config.get("reconstruct") else {}),
    output:
        report(
            directory(f"{STUDY}/report"),
            patterns=["figures/{name}.png"],
            caption="../report/figures.rst",
            category="Study",
        ),
    params:
        settings=config["report"],
    # figures are drawn in parallel (the report is the study's last job, alone on the machine);
    # a cluster job asks for the study's threads per job, which any node of it can give
    threads: min(SLOTS, 4) if workflow.local_exec else config["threads"]
    resources:
        **ESTIMATE.report.resources(),
    log:
        f"{STUDY}/logs/report.log",
    benchmark:
        f"{STUDY}/benchmarks/report.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/report.py"

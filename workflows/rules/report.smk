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
    # the report depends on every other job, so it runs alone: its script draws the figures in
    # up to 4 processes, within --cores and the CPUs the job may use (workflows/scripts/report.py);
    # the request stays the study's threads per job, which any cluster node can give
    threads: config["threads"]
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

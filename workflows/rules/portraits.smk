# Phase portraits at chosen or picked points (section `phase_portraits`) and basins of
# attraction at one point (section `basins`): each reruns only when its own section (or the
# model, fixed parameters, sweep ranges or seed) changes; a section that picks its points from
# the sweep also reads the merged sweep store.


rule phase_portraits:
    input:
        **({} if gives_points(config, "phase_portraits") else {"sweep": f"{STUDY}/sweep.zarr"}),
    output:
        directory(f"{STUDY}/phase_portraits.zarr"),
    params:
        study=section_params(config, "phase_portraits"),
    threads: config["threads"]
    resources:
        **ESTIMATE.portraits.resources(),
    log:
        f"{STUDY}/logs/phase_portraits.log",
    benchmark:
        f"{STUDY}/benchmarks/phase_portraits.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/phase_portraits.py"


rule basins:
    input:
        **({} if gives_points(config, "basins") else {"sweep": f"{STUDY}/sweep.zarr"}),
    output:
        directory(f"{STUDY}/basins.zarr"),
    params:
        study=section_params(config, "basins"),
    threads: config["threads"]
    resources:
        **ESTIMATE.basins.resources(),
    log:
        f"{STUDY}/logs/basins.log",
    benchmark:
        f"{STUDY}/benchmarks/basins.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/basins.py"

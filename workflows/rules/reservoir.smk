# Reservoir hyper-parameter sweep (config section `reservoir`): NRMSE and valid time over
# spectral radius x leak rate x size x seed (neurodyn.reservoir.reservoir_sweep).


rule reservoir_sweep:
    output:
        directory(f"{STUDY}/reservoir.zarr"),
    params:
        settings=config.get("reservoir", {}),
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
    log:
        f"{STUDY}/logs/reservoir.log",
    benchmark:
        f"{STUDY}/benchmarks/reservoir.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/reservoir_sweep.py"

# Continuation of the study's cycles and of their LP, PD, NS points in the two swept parameters
# (section `continuation`): rerun only when that section (or the model's) changes.


rule continuation:
    output:
        directory(f"{STUDY}/continuation.zarr"),
    params:
        study={
            **{
                key: config.get(key)
                for key in ("study", "model", "model_options", "fixed", "sweep", "continuation")
            },
            "simulation": {"seed": config["simulation"]["seed"]},
        },
    threads: config["threads"]
    resources:
        mem_mb=2000,
        runtime=60,
    log:
        f"{STUDY}/logs/continuation.log",
    benchmark:
        f"{STUDY}/benchmarks/continuation.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/continuation.py"

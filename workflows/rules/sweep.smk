# Sweep chunks with their measures, the merged store, and the orbit diagram. A job's params
# hold the parts of the config it depends on, so editing one section reruns only its jobs.


rule sweep_chunk:
    output:
        directory(f"{STUDY}/parts/chunk_{{chunk}}.zarr"),
    params:
        study=section(
            config, "bifurcation", "report", "description", "continuation", "classifier"
        ),
    threads: config["threads"]
    resources:
        mem_mb=2000,
        runtime=60,
        gpu=1 if config["simulation"]["device"] == "cuda" else 0,
    log:
        f"{STUDY}/logs/chunk_{{chunk}}.log",
    script:
        "../scripts/sweep_chunk.py"


rule merge_sweep:
    input:
        expand(f"{STUDY}/parts/chunk_{{chunk}}.zarr", chunk=CHUNKS),
    output:
        directory(f"{STUDY}/sweep.zarr"),
    resources:
        mem_mb=4000,
        runtime=30,
    log:
        f"{STUDY}/logs/merge.log",
    script:
        "../scripts/merge_sweep.py"


rule orbit_diagram:
    output:
        directory(f"{STUDY}/orbit.zarr"),
    params:
        study=section(
            config,
            *("measures", "measure_options", "chunk_size", "report", "description"),
            *("continuation", "classifier"),
        ),
    threads: config["threads"]
    resources:
        mem_mb=2000,
        runtime=60,
    log:
        f"{STUDY}/logs/orbit.log",
    script:
        "../scripts/orbit_diagram.py"

# Sweep chunks with their measures, the merged store, and the orbit diagram. A job's params
# hold the parts of the config it depends on, so editing one section reruns only its jobs.
# Resources come from the study's pre-flight estimate (neurodyn.workflow.plan).

# sections with rules and stores of their own: a change to one of them reruns no sweep job
OTHER_SECTIONS = (
    "continuation", "classifier", "reservoir", "train", "phase_portraits", "basins"
)


rule sweep_chunk:
    output:
        directory(f"{PARTS}/chunk_{{chunk}}.zarr"),
    params:
        study=section(config, *OTHER_SECTIONS, "bifurcation", "report", "description", "limits"),
    threads: config["threads"]
    group: ESTIMATE.group
    resources:
        **ESTIMATE.sweep.resources(),
        gpu=1 if config["simulation"]["device"] == "cuda" else 0,
    log:
        f"{STUDY}/logs/chunk_{{chunk}}.log",
    benchmark:
        f"{STUDY}/benchmarks/chunk_{{chunk}}.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/sweep_chunk.py"


rule merge_sweep:
    input:
        expand(f"{PARTS}/chunk_{{chunk}}.zarr", chunk=CHUNKS),
    output:
        directory(f"{STUDY}/sweep.zarr"),
    resources:
        **ESTIMATE.merge.resources(),
    log:
        f"{STUDY}/logs/merge.log",
    benchmark:
        f"{STUDY}/benchmarks/merge.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/merge_sweep.py"


rule orbit_diagram:
    output:
        directory(f"{STUDY}/orbit.zarr"),
    params:
        study=section(
            config,
            *OTHER_SECTIONS,
            "measures",
            "measure_options",
            "chunk_size",
            "report",
            "description",
            "limits",
        ),
    threads: config["threads"]
    resources:
        **ESTIMATE.orbit.resources(),
    log:
        f"{STUDY}/logs/orbit.log",
    benchmark:
        f"{STUDY}/benchmarks/orbit.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/orbit_diagram.py"

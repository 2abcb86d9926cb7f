# Phase portraits at chosen or picked points (section `phase_portraits`) and basins of
# attraction at one point (section `basins`): each reruns only when its own section (or the
# model, fixed parameters, sweep ranges or seed) changes; a section that picks its points from
# the sweep also reads the merged sweep store.


def _depends(name):
    """The parts of the config the `name` section's job reads (its params)."""
    return {
        **{key: config.get(key) for key in ("study", "model", "model_options", "fixed", "sweep")},
        "simulation": {key: config["simulation"].get(key) for key in ("seed", "bound")},
        name: config.get(name),
    }


def _given(name):
    """Whether the section gives its points (else they are picked from the sweep store)."""
    return bool((config.get(name) or {}).get("point" if name == "basins" else "points"))


rule phase_portraits:
    input:
        **({} if _given("phase_portraits") else {"sweep": f"{STUDY}/sweep.zarr"}),
    output:
        directory(f"{STUDY}/phase_portraits.zarr"),
    params:
        study=_depends("phase_portraits"),
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
        **({} if _given("basins") else {"sweep": f"{STUDY}/sweep.zarr"}),
    output:
        directory(f"{STUDY}/basins.zarr"),
    params:
        study=_depends("basins"),
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

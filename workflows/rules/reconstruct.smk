# Reconstruction of a map by a trained piecewise-linear RNN, compared with the true map at each
# regime (section `reconstruct`, neurodyn.learn.reconstruct_regimes): rerun only when that
# section changes.


rule reconstruct:
    output:
        directory(f"{STUDY}/reconstruct.zarr"),
    params:
        settings=config.get("reconstruct"),
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    log:
        f"{STUDY}/logs/reconstruct.log",
    benchmark:
        f"{STUDY}/benchmarks/reconstruct.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/reconstruct.py"

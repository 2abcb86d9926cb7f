# Marino et al.'s Wilson-Cowan metapopulation classifier (section `classifier`): rerun only
# when that section changes.


rule classifier:
    output:
        directory(f"{STUDY}/classifier"),
    params:
        settings=config.get("classifier"),
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
    log:
        f"{STUDY}/logs/classifier.log",
    benchmark:
        f"{STUDY}/benchmarks/classifier.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/classifier.py"

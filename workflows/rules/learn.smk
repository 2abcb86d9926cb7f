# Trained models of dynamics (config section `train`: one entry per model, each a
# neurodyn.learn.train_from_config config). Training asks for a GPU (resource gpu); without one
# it runs on the CPU (training.device: auto).


rule train:
    output:
        directory(f"{STUDY}/models/{{model}}"),
    params:
        settings=lambda wildcards: config["train"][wildcards.model],
    threads: config["threads"]
    resources:
        mem_mb=8000,
        runtime=240,
        gpu=1,
    log:
        f"{STUDY}/logs/train_{{model}}.log",
    benchmark:
        f"{STUDY}/benchmarks/train_{{model}}.tsv",
    conda:
        "../envs/neurodyn.yaml"
    script:
        "../scripts/train.py"

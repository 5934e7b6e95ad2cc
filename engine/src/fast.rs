//! The fast runner: the operators our exporter writes (`onnx/src/export`), planned once at load
//! for one chunk at a time, with every buffer allocated then, and stepped without allocating.
//!
//! tract is general: it plans any ONNX graph, and allocates its tensors on every run. Our model
//! files use a dozen operators with fixed shapes (the seven architectures of the contract), so
//! the whole step can be laid out when the file loads, like the real-time network runners of
//! audio plugins do:
//! - every value of the graph gets a buffer of its exact size in a [`Scratch`] (one per
//!   [`crate::StreamingRunner`]); the weights stay in the shared [`Plan`];
//! - convolutions run as a packed matrix product (im2col, then a register-blocked kernel of 4
//!   filters x 16 or 32 positions compiled three times: for AVX-512 or AVX2, each with FMA,
//!   where the CPU has them, and for the baseline), with the activation and the max-pooling after them fused into the product's
//!   output (max-pooling commutes with the monotone activations, so it runs first, on fewer
//!   values);
//! - a `Gemm` with constant weights keeps them transposed, so each output row is a sum of
//!   contiguous weight rows.
//!
//! The plan is built from the graph itself, not from the metadata's architecture name: whatever
//! the file says it is, its operators, attributes and shapes are what run. A graph with anything
//! outside that set (another operator, a dilation, a padding, a shape that does not fit) is not
//! planned, and the model runs on tract instead ([`crate::Model::runner_kind`] says which).
//! Nothing here trusts the file: sizes are checked with overflow-checked arithmetic against
//! [`MAX_VALUE_LEN`] before anything is allocated, and a failed check is a reason to fall back,
//! never a panic.

use std::collections::HashMap;

use tract_onnx::pb;

use crate::contract::names;

/// The most values one tensor of a planned graph may hold (64 Mi floats, 256 MiB): far above
/// any of our architectures (the largest, CNNs-3's first convolution at 96 mels, holds a few
/// hundred thousand), so a hostile file cannot make the plan allocate without bound.
pub const MAX_VALUE_LEN: usize = 1 << 26;
/// The most dimensions a planned tensor may have.
const MAX_RANK: usize = 6;

/// Why a graph is not planned (it then runs on tract). For people reading logs and tests.
pub type Unsupported = String;

/// A planned graph: its operators in order, their constant data, and each value's size.
pub struct Plan {
    ops: Vec<Op>,
    /// Per value: its constant data (weights, biases) or `None` for a computed one.
    consts: Vec<Option<Vec<f32>>>,
    /// Per value: how many floats its buffer holds.
    lens: Vec<usize>,
    /// Per op: how many floats of working memory it needs (im2col, the product's output).
    work: Vec<[usize; 2]>,
    pub(crate) mel: usize,
    pub(crate) h0: Option<usize>,
    pub(crate) c0: Option<usize>,
    pub(crate) probs: usize,
    pub(crate) h1: Option<usize>,
    pub(crate) c1: Option<usize>,
    isa: Isa,
}

/// The instruction set the products are compiled for, chosen at load from what the CPU has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    Baseline,
    Avx2,
    Avx512,
}

impl Isa {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let fma = std::is_x86_feature_detected!("fma");
            if fma && std::is_x86_feature_detected!("avx512f") {
                return Isa::Avx512;
            }
            if fma && std::is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }
}

/// The buffers one runner steps in: one per computed value, plus each op's working memory.
pub struct Scratch {
    values: Vec<Vec<f32>>,
    work: Vec<[Vec<f32>; 2]>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Unary {
    Relu,
    Elu(f32),
    Tanh,
    Sigmoid,
}

impl Unary {
    /// Whether `f(max(a, b)) == max(f(a), f(b))`: true of every activation here (all are
    /// non-decreasing), which lets max-pooling run before them.
    fn commutes_with_max(self) -> bool {
        match self {
            Unary::Relu | Unary::Tanh | Unary::Sigmoid => true,
            Unary::Elu(alpha) => alpha >= 0.0,
        }
    }

    #[inline(always)]
    fn apply(self, x: f32) -> f32 {
        match self {
            Unary::Relu => x.max(0.0),
            Unary::Elu(alpha) => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x.exp_m1()
                }
            }
            Unary::Tanh => x.tanh(),
            Unary::Sigmoid => sigmoid(x),
        }
    }
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Binary {
    Add,
    Sub,
    Mul,
    Div,
}

/// How a binary op's two inputs map onto its output: dims and element strides (0 where an input
/// is broadcast), padded at the front to [`MAX_RANK`].
#[derive(Clone, Copy, Debug)]
struct Broadcast {
    dims: [usize; MAX_RANK],
    a: [usize; MAX_RANK],
    b: [usize; MAX_RANK],
}

/// Max-pooling over `[C, H, W]` with a window equal to its stride and no padding.
#[derive(Clone, Copy, Debug)]
struct Pool {
    kh: usize,
    kw: usize,
    /// Output height and width.
    oh: usize,
    ow: usize,
}

/// A convolution `[C, H, W] -> [F, OH, OW]`, stride 1, no padding, as a matrix product.
struct Conv {
    c: usize,
    h: usize,
    w: usize,
    kh: usize,
    kw: usize,
    f: usize,
    oh: usize,
    ow: usize,
    /// Positions per output map rounded up to [`BLOCK`].
    p_pad: usize,
    /// Whether the product reads the input itself instead of an im2col matrix. Its positions
    /// then run over the input's full width (`oy * w + ox`; the last `kw - 1` of each row are
    /// computed and dropped), so row `(c, i, j)` of the right-hand matrix is the input from
    /// `(c * h + i) * w + j` on, contiguous. Chosen where that costs at most a quarter more
    /// multiply-adds ([`Conv::reads_input`]): the im2col matrix of the B channel alone is most of
    /// a megabyte written and read back per chunk.
    direct: bool,
    /// Floats between output rows in the product: `w` direct, `ow` through im2col.
    stride: usize,
    /// Where the product reads row `kk` of its right-hand matrix in the working buffer: `kk *
    /// p_pad` through im2col, the input offset of `(c, i, j)` direct.
    rows: Vec<usize>,
    /// Filters rounded up to the kernel's 4 rows.
    f_pad: usize,
    /// `C*kh*kw`.
    k: usize,
    /// Weights packed `[f_pad/4][k][4]`, zero rows past `f`.
    packed: Vec<f32>,
    /// Bias per filter, zero past `f`.
    bias: Vec<f32>,
    /// The activation and pooling fused after it, in that order of the graph (run pool first).
    act: Option<Unary>,
    pool: Option<Pool>,
}

enum Op {
    Copy {
        x: usize,
        y: usize,
    },
    Unary {
        op: Unary,
        x: usize,
        y: usize,
    },
    Binary {
        op: Binary,
        a: usize,
        b: usize,
        y: usize,
        shape: Broadcast,
    },
    Conv {
        x: usize,
        y: usize,
        conv: Box<Conv>,
    },
    MaxPool {
        x: usize,
        y: usize,
        channels: usize,
        h: usize,
        w: usize,
        pool: Pool,
    },
    /// `y[m] = alpha * a[m] . B + beta * c`, B constant `[k, n]` (stored in [`gemv_kernel`]'s
    /// panels, [`gemv_at`], whichever way the graph holds it; alpha folded in), `c` folded into
    /// `bias` (length `n`).
    Gemm {
        a: usize,
        y: usize,
        m: usize,
        k: usize,
        n: usize,
        b: Vec<f32>,
        bias: Option<Vec<f32>>,
    },
    /// Softmax over the last axis, rows of `n`.
    Softmax {
        x: usize,
        y: usize,
        n: usize,
    },
    /// Inputs concatenated: each contributes `inner[i]` floats per `outer` block.
    Concat {
        xs: Vec<usize>,
        inner: Vec<usize>,
        outer: usize,
        y: usize,
    },
    /// The reverse of [`Op::Concat`].
    Split {
        x: usize,
        ys: Vec<usize>,
        inner: Vec<usize>,
        outer: usize,
    },
}

/// The inputs a runner gives a step: the chunk, and the LSTM state where the model has one.
pub struct StepInputs<'a> {
    pub mel: &'a [f32],
    pub h: &'a [f32],
    pub c: &'a [f32],
}

impl Plan {
    /// Plans `graph` for one chunk of `n_mels x frames` and an LSTM of `hidden` units (stateful)
    /// or none, with `classes` outputs; `portable` keeps to the baseline kernels whatever the CPU
    /// has (tests compare them). `Err` says why it cannot, and the caller uses tract.
    pub fn new(
        proto: &pb::ModelProto,
        n_mels: usize,
        frames: usize,
        hidden: Option<usize>,
        classes: usize,
        portable: bool,
    ) -> Result<Self, Unsupported> {
        let graph = proto.graph.as_ref().ok_or("no graph")?;
        let opset = proto
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map_or(1, |o| o.version);
        let mut b = Builder::default();
        for init in &graph.initializer {
            b.constant(init)?;
        }
        let mut mel = None;
        let (mut h0, mut c0) = (None, None);
        for input in &graph.input {
            if b.ids.contains_key(input.name.as_str()) {
                continue; // an initializer also listed as an input (older exporters)
            }
            let shape = match input.name.as_str() {
                names::MEL => vec![1, 1, n_mels, frames],
                names::H0 | names::C0 => vec![1, 1, hidden.ok_or("state input, no state")?],
                other => return Err(format!("unknown input `{other}`")),
            };
            let id = b.computed(&input.name, shape)?;
            match input.name.as_str() {
                names::MEL => mel = Some(id),
                names::H0 => h0 = Some(id),
                _ => c0 = Some(id),
            }
        }
        for node in &graph.node {
            b.node(node, opset)?;
        }
        let output = |name: &str, expected: &[usize]| -> Result<usize, Unsupported> {
            let id = *b.ids.get(name).ok_or_else(|| format!("no `{name}`"))?;
            if b.shapes[id] != expected || b.consts[id].is_some() {
                return Err(format!("`{name}` is {:?}, not {expected:?}", b.shapes[id]));
            }
            Ok(id)
        };
        let probs = output(names::PROBS, &[1, classes])?;
        let (h1, c1) = match hidden {
            Some(h) => (
                Some(output(names::H1, &[1, 1, h])?),
                Some(output(names::C1, &[1, 1, h])?),
            ),
            None => (None, None),
        };
        if hidden.is_some() && (h0.is_none() || c0.is_none()) {
            return Err("a stateful model without `h0`/`c0`".into());
        }
        let mel = mel.ok_or("no `mel` input")?;
        for out in &graph.output {
            if let Some(&id) = b.ids.get(out.name.as_str()) {
                b.readers[id] += 1;
            }
        }
        b.fuse_conv_act_pool();
        b.finish_constants();
        let mut lens: Vec<usize> = b.shapes.iter().map(|s| s.iter().product()).collect();
        for &id in &b.dead {
            lens[id] = 0;
        }
        Ok(Plan {
            work: b.ops.iter().map(work_len).collect(),
            lens,
            ops: b.ops,
            consts: b.consts,
            mel,
            h0,
            c0,
            probs,
            h1,
            c1,
            isa: if portable {
                Isa::Baseline
            } else {
                Isa::detect()
            },
        })
    }

    /// Fresh buffers for one runner: the only allocation of the fast path, made once.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            values: self
                .consts
                .iter()
                .zip(&self.lens)
                .map(|(c, &len)| match c {
                    Some(_) => Vec::new(),
                    None => vec![0.0; len],
                })
                .collect(),
            work: self
                .work
                .iter()
                .map(|&[a, b]| [vec![0.0; a], vec![0.0; b]])
                .collect(),
        }
    }

    /// Which instruction set the products use.
    pub fn kernel_name(&self) -> &'static str {
        match self.isa {
            Isa::Baseline => "baseline",
            Isa::Avx2 => "avx2+fma",
            Isa::Avx512 => "avx512f+fma",
        }
    }

    /// One step: the inputs copied in, every op in order. Reads the outputs with
    /// [`Plan::value`]. Allocates nothing. The lengths of the inputs are the caller's to check
    /// (the runner does), and a wrong one is refused here without running.
    pub fn run(&self, s: &mut Scratch, inputs: StepInputs<'_>) -> Result<(), &'static str> {
        let put = |s: &mut Scratch, id: usize, data: &[f32]| {
            let buf = &mut s.values[id];
            if buf.len() != data.len() {
                return Err("an input of the wrong size");
            }
            buf.copy_from_slice(data);
            Ok(())
        };
        put(s, self.mel, inputs.mel)?;
        if let (Some(h0), Some(c0)) = (self.h0, self.c0) {
            put(s, h0, inputs.h)?;
            put(s, c0, inputs.c)?;
        }
        for (i, op) in self.ops.iter().enumerate() {
            self.run_op(op, s, i);
        }
        Ok(())
    }

    /// A value after [`Plan::run`].
    pub fn value<'a>(&self, s: &'a Scratch, id: usize) -> &'a [f32] {
        &s.values[id]
    }

    fn run_op(&self, op: &Op, s: &mut Scratch, at: usize) {
        // The output buffer is taken out of the scratch for the op (a move, not an allocation),
        // so inputs can be borrowed from the rest.
        let take = |s: &mut Scratch, y: usize| std::mem::take(&mut s.values[y]);
        match op {
            Op::Copy { x, y } => {
                let mut out = take(s, *y);
                out.copy_from_slice(self.read(s, *x));
                s.values[*y] = out;
            }
            Op::Unary { op, x, y } => {
                let mut out = take(s, *y);
                for (o, &v) in out.iter_mut().zip(self.read(s, *x)) {
                    *o = op.apply(v);
                }
                s.values[*y] = out;
            }
            Op::Binary { op, a, b, y, shape } => {
                let mut out = take(s, *y);
                binary(*op, self.read(s, *a), self.read(s, *b), &mut out, shape);
                s.values[*y] = out;
            }
            Op::Conv { x, y, conv } => {
                let mut out = take(s, *y);
                let [col, prod] = &mut s.work[at];
                let input = match &self.consts[*x] {
                    Some(c) => c.as_slice(),
                    None => &s.values[*x],
                };
                conv.run(input, col, prod, &mut out, self.isa);
                s.values[*y] = out;
            }
            Op::MaxPool {
                x,
                y,
                channels,
                h,
                w,
                pool,
            } => {
                let mut out = take(s, *y);
                max_pool(self.read(s, *x), *channels, *h, *w, pool, &mut out);
                s.values[*y] = out;
            }
            Op::Gemm {
                a,
                y,
                m,
                k,
                n,
                b,
                bias,
            } => {
                let mut out = take(s, *y);
                let a = self.read(s, *a);
                for row in 0..*m {
                    let o = &mut out[row * n..][..*n];
                    gemv(&a[row * k..][..*k], b, bias.as_deref(), o, self.isa);
                }
                s.values[*y] = out;
            }
            Op::Softmax { x, y, n } => {
                let mut out = take(s, *y);
                out.copy_from_slice(self.read(s, *x));
                for row in out.chunks_exact_mut(*n) {
                    let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
                    let mut sum = 0.0;
                    for v in row.iter_mut() {
                        *v = (*v - max).exp();
                        sum += *v;
                    }
                    for v in row.iter_mut() {
                        *v /= sum;
                    }
                }
                s.values[*y] = out;
            }
            Op::Concat {
                xs,
                inner,
                outer,
                y,
            } => {
                let mut out = take(s, *y);
                let width: usize = inner.iter().sum();
                let mut start = 0;
                for (x, &len) in xs.iter().zip(inner) {
                    let x = self.read(s, *x);
                    for o in 0..*outer {
                        out[o * width + start..][..len].copy_from_slice(&x[o * len..][..len]);
                    }
                    start += len;
                }
                s.values[*y] = out;
            }
            Op::Split {
                x,
                ys,
                inner,
                outer,
            } => {
                let width: usize = inner.iter().sum();
                let mut start = 0;
                for (y, &len) in ys.iter().zip(inner) {
                    let mut out = take(s, *y);
                    let x = self.read(s, *x);
                    for o in 0..*outer {
                        out[o * len..][..len].copy_from_slice(&x[o * width + start..][..len]);
                    }
                    s.values[*y] = out;
                    start += len;
                }
            }
        }
    }

    fn read<'a>(&'a self, s: &'a Scratch, id: usize) -> &'a [f32] {
        match &self.consts[id] {
            Some(c) => c,
            None => &s.values[id],
        }
    }
}

/// How much working memory an op needs: the im2col matrix and the product of a convolution.
fn work_len(op: &Op) -> [usize; 2] {
    match op {
        Op::Conv { conv, .. } => [conv.col_len(), conv.f_pad * conv.p_pad],
        _ => [0, 0],
    }
}

impl Conv {
    /// A convolution of an input `[c, h, w]` by `f` filters of `kh x kw` (checked by the
    /// caller to fit), laid out for [`Conv::run`], with zero weights and biases for the caller
    /// to fill (weights at [`Conv::packed_at`]).
    fn planned(
        [c, h, w]: [usize; 3],
        [f, kh, kw]: [usize; 3],
        direct: bool,
    ) -> Result<Conv, Unsupported> {
        let (oh, ow) = (h - kh + 1, w - kw + 1);
        // Positions computed: through im2col the output's own; direct, every one up to the
        // output's last, over the input's width.
        let (stride, p) = if direct {
            (w, (oh - 1) * w + ow)
        } else {
            (ow, oh * ow)
        };
        let p_pad = p.div_ceil(BLOCK) * BLOCK;
        let f_pad = f.div_ceil(4) * 4;
        let k = checked_len(&[c, kh, kw])?;
        checked_len(&[k, p_pad])?;
        checked_len(&[f_pad, p_pad])?;
        checked_len(&[c * h * w + p_pad])?;
        let rows: Vec<usize> = if direct {
            (0..c)
                .flat_map(|ci| {
                    (0..kh).flat_map(move |i| (0..kw).map(move |j| (ci * h + i) * w + j))
                })
                .collect()
        } else {
            (0..k).map(|kk| kk * p_pad).collect()
        };
        Ok(Conv {
            c,
            h,
            w,
            kh,
            kw,
            f,
            oh,
            ow,
            p_pad,
            direct,
            stride,
            rows,
            f_pad,
            k,
            packed: vec![0.0; f_pad * k],
            bias: vec![0.0; f_pad],
            act: None,
            pool: None,
        })
    }

    /// Where filter `f`'s weight `kk` lies in [`Conv::packed`].
    fn packed_at(&self, f: usize, kk: usize) -> usize {
        (f / 4) * self.k * 4 + kk * 4 + f % 4
    }

    /// Whether reading the input directly ([`Conv::direct`]) costs at most a quarter more
    /// multiply-adds than im2col: always with a kernel one column wide.
    fn reads_input(w: usize, ow: usize) -> bool {
        4 * w <= 5 * ow
    }

    /// The working buffer the product reads: the im2col matrix, or the input with room for the
    /// last column block to read past its end.
    fn col_len(&self) -> usize {
        if self.direct {
            self.c * self.h * self.w + self.p_pad
        } else {
            self.k * self.p_pad
        }
    }

    fn run(&self, x: &[f32], col: &mut [f32], prod: &mut [f32], out: &mut [f32], isa: Isa) {
        let (p, p_pad) = (self.oh * self.ow, self.p_pad);
        if self.direct {
            // The input as it is, then zeros for the positions past its end.
            let (input, rest) = col.split_at_mut(x.len());
            input.copy_from_slice(x);
            rest.fill(0.0);
        } else {
            // im2col: row (c, i, j) holds x[c][oy + i][j .. j + ow] for every output row oy.
            let mut row = 0;
            for c in 0..self.c {
                for i in 0..self.kh {
                    for j in 0..self.kw {
                        let dst = &mut col[row * p_pad..][..p_pad];
                        for oy in 0..self.oh {
                            let src = &x[(c * self.h + oy + i) * self.w + j..][..self.ow];
                            dst[oy * self.ow..][..self.ow].copy_from_slice(src);
                        }
                        dst[p..].fill(0.0);
                        row += 1;
                    }
                }
            }
        }
        matmul(
            &self.packed,
            &self.rows,
            col,
            p_pad,
            &self.bias,
            prod,
            self.f_pad,
            isa,
        );
        // The product is [f_pad][p_pad], rows `stride` apart; the graph's value is [f][oh][ow],
        // pooled if fused.
        match &self.pool {
            Some(pool) => pool_in_place(prod, self.f, p_pad, self.stride, pool, out),
            None => {
                for f in 0..self.f {
                    for oy in 0..self.oh {
                        out[f * p + oy * self.ow..][..self.ow]
                            .copy_from_slice(&prod[f * p_pad + oy * self.stride..][..self.ow]);
                    }
                }
            }
        }
        if let Some(act) = self.act {
            for v in out.iter_mut() {
                *v = act.apply(*v);
            }
        }
    }
}

/// Max-pooling of `[channels, h, w]` (a `MaxPool` the planner could not fuse into its
/// convolution).
fn max_pool(x: &[f32], channels: usize, h: usize, w: usize, pool: &Pool, out: &mut [f32]) {
    for c in 0..channels {
        let map = &x[c * h * w..][..h * w];
        let dst = &mut out[c * pool.oh * pool.ow..][..pool.oh * pool.ow];
        for oy in 0..pool.oh {
            let row_out = &mut dst[oy * pool.ow..][..pool.ow];
            row_out.fill(f32::NEG_INFINITY);
            for i in 0..pool.kh {
                let row_in = &map[(oy * pool.kh + i) * w..][..w];
                if pool.kw == 1 {
                    // A window one column wide: the rows' maximum, element by element.
                    for (o, &v) in row_out.iter_mut().zip(row_in) {
                        *o = larger(*o, v);
                    }
                } else {
                    for (ox, o) in row_out.iter_mut().enumerate() {
                        *o = larger(*o, window_max(&row_in[ox * pool.kw..][..pool.kw]));
                    }
                }
            }
        }
    }
}

/// Max-pooling of a product's `channels` maps, `map` floats apart with rows `stride` apart, that
/// are scratch: the window's rows are first folded into its top row element by element (vector
/// instructions over the whole row), so only `1 / kh` of the values go through the windows.
/// Exactly [`max_pool`]'s values: the maximum is the same in any order.
fn pool_in_place(
    x: &mut [f32],
    channels: usize,
    map: usize,
    stride: usize,
    pool: &Pool,
    out: &mut [f32],
) {
    let used = pool.ow * pool.kw;
    for c in 0..channels {
        let maps = &mut x[c * map..];
        let dst = &mut out[c * pool.oh * pool.ow..][..pool.oh * pool.ow];
        for oy in 0..pool.oh {
            let top = oy * pool.kh * stride;
            for i in 1..pool.kh {
                let (upper, lower) = maps.split_at_mut(top + i * stride);
                for (o, &v) in upper[top..][..used].iter_mut().zip(&lower[..used]) {
                    *o = larger(*o, v);
                }
            }
            let row = &maps[top..][..used];
            let row_out = &mut dst[oy * pool.ow..][..pool.ow];
            if pool.kw == 1 {
                row_out.copy_from_slice(row);
            } else {
                for (o, window) in row_out.iter_mut().zip(row.chunks_exact(pool.kw)) {
                    *o = window_max(window);
                }
            }
        }
    }
}

/// The larger of two values, as one vector instruction (`maxps`); the values here are finite.
#[inline(always)]
fn larger(a: f32, b: f32) -> f32 {
    if b > a { b } else { a }
}

/// The largest value of a window, in 8 independent lanes (a single running maximum would wait on
/// each comparison in turn).
#[inline(always)]
fn window_max(window: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let mut chunks = window.chunks_exact(8);
    for chunk in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l = larger(*l, v);
        }
    }
    let rest = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| larger(m, v));
    lanes.into_iter().fold(rest, larger)
}

/// `prod[f_pad][p_pad] = packed . B + bias`, `packed` laid out `[f_pad/4][k][4]`, row `kk` of
/// `B` at `col[rows[kk]..][..p_pad]` (`k = rows.len()`), `p_pad` a multiple of [`BLOCK`].
#[allow(clippy::too_many_arguments)]
fn matmul(
    packed: &[f32],
    rows: &[usize],
    col: &[f32],
    p_pad: usize,
    bias: &[f32],
    prod: &mut [f32],
    f_pad: usize,
    isa: Isa,
) {
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY: `isa` is `Avx512`/`Avx2` only where the CPU reported those features and FMA
        // (`Isa::detect`).
        Isa::Avx512 => {
            return unsafe { matmul_avx512(packed, rows, col, p_pad, bias, prod, f_pad) };
        }
        Isa::Avx2 => return unsafe { matmul_avx2(packed, rows, col, p_pad, bias, prod, f_pad) },
        Isa::Baseline => {}
    }
    let _ = isa;
    matmul_kernel::<false, 16>(packed, rows, col, p_pad, bias, prod, f_pad);
}

/// Positions per block of the product's widest kernel; the im2col rows are padded to it.
const BLOCK: usize = 32;

/// Whether the product's buffers have the sizes the SIMD kernels index without checks.
#[allow(clippy::too_many_arguments)]
fn matmul_fits(
    packed: &[f32],
    rows: &[usize],
    col: &[f32],
    p_pad: usize,
    bias: &[f32],
    prod: &[f32],
    f_pad: usize,
    width: usize,
) -> bool {
    f_pad.is_multiple_of(4)
        && p_pad.is_multiple_of(width)
        && packed.len() >= f_pad * rows.len()
        && rows
            .iter()
            .all(|&r| r.checked_add(p_pad).is_some_and(|end| end <= col.len()))
        && prod.len() >= f_pad * p_pad
        && bias.len() >= f_pad
}

/// The AVX2 product: 4 filters x 16 positions in 8 registers, one FMA per weight and vector.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn matmul_avx2(
    packed: &[f32],
    rows: &[usize],
    col: &[f32],
    p_pad: usize,
    bias: &[f32],
    prod: &mut [f32],
    f_pad: usize,
) {
    use std::arch::x86_64::*;
    if !matmul_fits(packed, rows, col, p_pad, bias, prod, f_pad, 16) {
        return matmul_kernel::<true, 16>(packed, rows, col, p_pad, bias, prod, f_pad);
    }
    let k = rows.len();
    // Column blocks outside, filter blocks inside: a block of im2col columns (k x 16 values)
    // stays in the first-level cache while every filter uses it, instead of the whole im2col
    // matrix (up to a megabyte) streaming through once per filter block.
    for pb in 0..p_pad / 16 {
        for fb in 0..f_pad / 4 {
            // SAFETY: `matmul_fits` checked every index below: filter block fb < f_pad/4 reads
            // packed[fb*4k .. fb*4k + 4k]; column block pb < p_pad/16 reads col[rows[kk] + 16pb
            // .. +16] for kk < k, within col as rows[kk] + p_pad <= col.len(); the stores go to
            // prod[(4fb + r)*p_pad + 16pb .. +16].
            unsafe {
                let w = packed.as_ptr().add(fb * k * 4);
                let b = |r: usize| _mm256_set1_ps(bias[fb * 4 + r]);
                let (mut a0, mut a1, mut a2, mut a3) = (b(0), b(1), b(2), b(3));
                let (mut a4, mut a5, mut a6, mut a7) = (a0, a1, a2, a3);
                let base = col.as_ptr().add(pb * 16);
                for (kk, &row) in rows.iter().enumerate() {
                    let c = base.add(row);
                    let (c0, c1) = (_mm256_loadu_ps(c), _mm256_loadu_ps(c.add(8)));
                    let wk = w.add(kk * 4);
                    let w0 = _mm256_broadcast_ss(&*wk);
                    let w1 = _mm256_broadcast_ss(&*wk.add(1));
                    let w2 = _mm256_broadcast_ss(&*wk.add(2));
                    let w3 = _mm256_broadcast_ss(&*wk.add(3));
                    a0 = _mm256_fmadd_ps(w0, c0, a0);
                    a4 = _mm256_fmadd_ps(w0, c1, a4);
                    a1 = _mm256_fmadd_ps(w1, c0, a1);
                    a5 = _mm256_fmadd_ps(w1, c1, a5);
                    a2 = _mm256_fmadd_ps(w2, c0, a2);
                    a6 = _mm256_fmadd_ps(w2, c1, a6);
                    a3 = _mm256_fmadd_ps(w3, c0, a3);
                    a7 = _mm256_fmadd_ps(w3, c1, a7);
                }
                let out = prod.as_mut_ptr().add(fb * 4 * p_pad + pb * 16);
                for (r, (lo, hi)) in [(a0, a4), (a1, a5), (a2, a6), (a3, a7)]
                    .into_iter()
                    .enumerate()
                {
                    _mm256_storeu_ps(out.add(r * p_pad), lo);
                    _mm256_storeu_ps(out.add(r * p_pad + 8), hi);
                }
            }
        }
    }
}

/// The AVX-512 product: 4 filters x 32 positions in 8 registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn matmul_avx512(
    packed: &[f32],
    rows: &[usize],
    col: &[f32],
    p_pad: usize,
    bias: &[f32],
    prod: &mut [f32],
    f_pad: usize,
) {
    use std::arch::x86_64::*;
    if !matmul_fits(packed, rows, col, p_pad, bias, prod, f_pad, 32) {
        return matmul_kernel::<true, 32>(packed, rows, col, p_pad, bias, prod, f_pad);
    }
    let k = rows.len();
    for pb in 0..p_pad / 32 {
        for fb in 0..f_pad / 4 {
            // SAFETY: as in `matmul_avx2`, with column blocks of 32 (checked by `matmul_fits`).
            unsafe {
                let w = packed.as_ptr().add(fb * k * 4);
                let b = |r: usize| _mm512_set1_ps(bias[fb * 4 + r]);
                let (mut a0, mut a1, mut a2, mut a3) = (b(0), b(1), b(2), b(3));
                let (mut a4, mut a5, mut a6, mut a7) = (a0, a1, a2, a3);
                let base = col.as_ptr().add(pb * 32);
                for (kk, &row) in rows.iter().enumerate() {
                    let c = base.add(row);
                    let (c0, c1) = (_mm512_loadu_ps(c), _mm512_loadu_ps(c.add(16)));
                    let wk = w.add(kk * 4);
                    let w0 = _mm512_set1_ps(*wk);
                    let w1 = _mm512_set1_ps(*wk.add(1));
                    let w2 = _mm512_set1_ps(*wk.add(2));
                    let w3 = _mm512_set1_ps(*wk.add(3));
                    a0 = _mm512_fmadd_ps(w0, c0, a0);
                    a4 = _mm512_fmadd_ps(w0, c1, a4);
                    a1 = _mm512_fmadd_ps(w1, c0, a1);
                    a5 = _mm512_fmadd_ps(w1, c1, a5);
                    a2 = _mm512_fmadd_ps(w2, c0, a2);
                    a6 = _mm512_fmadd_ps(w2, c1, a6);
                    a3 = _mm512_fmadd_ps(w3, c0, a3);
                    a7 = _mm512_fmadd_ps(w3, c1, a7);
                }
                let out = prod.as_mut_ptr().add(fb * 4 * p_pad + pb * 32);
                for (r, (lo, hi)) in [(a0, a4), (a1, a5), (a2, a6), (a3, a7)]
                    .into_iter()
                    .enumerate()
                {
                    _mm512_storeu_ps(out.add(r * p_pad), lo);
                    _mm512_storeu_ps(out.add(r * p_pad + 16), hi);
                }
            }
        }
    }
}

/// The register-blocked product: 4 filters x `W` positions of accumulators per block, one pass
/// over `k`. Written for the compiler to vectorise (`FMA` selects fused multiply-adds).
#[inline(always)]
fn matmul_kernel<const FMA: bool, const W: usize>(
    packed: &[f32],
    rows: &[usize],
    col: &[f32],
    p_pad: usize,
    bias: &[f32],
    prod: &mut [f32],
    f_pad: usize,
) {
    let k = rows.len();
    for pb in 0..p_pad / W {
        for fb in 0..f_pad / 4 {
            let w = &packed[fb * k * 4..][..k * 4];
            let mut acc = [[0f32; W]; 4];
            for (r, row) in acc.iter_mut().enumerate() {
                *row = [bias[fb * 4 + r]; W];
            }
            for (kk, &row) in rows.iter().enumerate() {
                let c: &[f32; W] = col[row + pb * W..][..W].try_into().unwrap_or(&[0.0; W]);
                let wk = &w[kk * 4..][..4];
                for r in 0..4 {
                    for j in 0..W {
                        acc[r][j] = if FMA {
                            wk[r].mul_add(c[j], acc[r][j])
                        } else {
                            acc[r][j] + wk[r] * c[j]
                        };
                    }
                }
            }
            for (r, row) in acc.iter().enumerate() {
                prod[(fb * 4 + r) * p_pad + pb * W..][..W].copy_from_slice(row);
            }
        }
    }
}

/// `out = x . b + bias` for one row `x` of `k`, `b` laid out `[k][n]`.
fn gemv(x: &[f32], b: &[f32], bias: Option<&[f32]>, out: &mut [f32], isa: Isa) {
    #[cfg(target_arch = "x86_64")]
    match isa {
        // SAFETY: as in `matmul`.
        Isa::Avx512 => return unsafe { gemv_avx512(x, b, bias, out) },
        Isa::Avx2 => return unsafe { gemv_avx2(x, b, bias, out) },
        Isa::Baseline => {}
    }
    let _ = isa;
    gemv_kernel::<false>(x, b, bias, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn gemv_avx2(x: &[f32], b: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    gemv_kernel::<true>(x, b, bias, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
fn gemv_avx512(x: &[f32], b: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    gemv_kernel::<true>(x, b, bias, out);
}

/// Outputs per block of [`gemv_kernel`]: their sums stay in registers over the whole of `x`.
const GEMV_BLOCK: usize = 64;

/// Where column `j` of a `[k][n]` matrix lies in [`gemv_kernel`]'s layout, as the index of
/// weight `(0, j)` and the step from one `kk` to the next: one panel `[k][GEMV_BLOCK]` per block
/// of outputs, then the remaining `n % GEMV_BLOCK` outputs as `[k][rest]`. Each pass of the
/// kernel then reads one contiguous run of memory (with `[k][n]` rows, a block's pass read 256
/// bytes every `4n` bytes and split cache lines with its neighbours).
fn gemv_column(k: usize, n: usize, j: usize) -> (usize, usize) {
    let blocks = n / GEMV_BLOCK;
    let block = j / GEMV_BLOCK;
    if block < blocks {
        (block * k * GEMV_BLOCK + j % GEMV_BLOCK, GEMV_BLOCK)
    } else {
        let tail = blocks * GEMV_BLOCK;
        (blocks * k * GEMV_BLOCK + (j - tail), n - tail)
    }
}

#[inline(always)]
fn gemv_kernel<const FMA: bool>(x: &[f32], b: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    let n = out.len();
    match bias {
        Some(bias) => out.copy_from_slice(bias),
        None => out.fill(0.0),
    }
    let fma = |a: f32, w: f32, acc: f32| if FMA { a.mul_add(w, acc) } else { acc + a * w };
    // Blocks of outputs summed in registers, one pass over their panel each (`gemv_at`); the
    // rest after.
    let k = x.len();
    let blocks = n / GEMV_BLOCK;
    for (block, panel) in b.chunks_exact(k * GEMV_BLOCK).take(blocks).enumerate() {
        let j0 = block * GEMV_BLOCK;
        let mut acc = [0f32; GEMV_BLOCK];
        acc.copy_from_slice(&out[j0..j0 + GEMV_BLOCK]);
        for (row, &xv) in panel.chunks_exact(GEMV_BLOCK).zip(x) {
            for (a, &w) in acc.iter_mut().zip(row) {
                *a = fma(xv, w, *a);
            }
        }
        out[j0..j0 + GEMV_BLOCK].copy_from_slice(&acc);
    }
    let tail = blocks * GEMV_BLOCK;
    if tail < n {
        let rest = &b[blocks * k * GEMV_BLOCK..][..k * (n - tail)];
        for (row, &xv) in rest.chunks_exact(n - tail).zip(x) {
            for (o, &w) in out[tail..].iter_mut().zip(row) {
                *o = fma(xv, w, *o);
            }
        }
    }
}

fn binary(op: Binary, a: &[f32], b: &[f32], out: &mut [f32], shape: &Broadcast) {
    let f = |x: f32, y: f32| match op {
        Binary::Add => x + y,
        Binary::Sub => x - y,
        Binary::Mul => x * y,
        Binary::Div => x / y,
    };
    if a.len() == out.len() && b.len() == out.len() {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = f(x, y);
        }
        return;
    }
    // General broadcasting: walk the output with an index per dimension; the last dimension
    // is the inner loop.
    let d = &shape.dims;
    let last = MAX_RANK - 1;
    let inner = d[last];
    let mut index = [0usize; MAX_RANK];
    let mut o = 0;
    while o < out.len() {
        let (mut ia, mut ib) = (0, 0);
        for (r, &i) in index[..last].iter().enumerate() {
            ia += i * shape.a[r];
            ib += i * shape.b[r];
        }
        for (j, slot) in out[o..o + inner].iter_mut().enumerate() {
            *slot = f(a[ia + j * shape.a[last]], b[ib + j * shape.b[last]]);
        }
        o += inner;
        // Advance the outer index (odometer, last outer dimension fastest).
        for r in (0..last).rev() {
            index[r] += 1;
            if index[r] < d[r] {
                break;
            }
            index[r] = 0;
        }
    }
}

/// The graph as it is planned: value names to ids, shapes, constants, ops.
#[derive(Default)]
struct Builder<'a> {
    /// Large float initializers still as the file's bytes: the ops that pack them read them
    /// from there, so a model's weights are converted once, into their packed copies (each copy
    /// of 4.5 MB of fresh memory costs about 4 ms of page faults in a new process).
    raw: HashMap<usize, &'a [u8]>,
    ids: HashMap<String, usize>,
    shapes: Vec<Vec<usize>>,
    consts: Vec<Option<Vec<f32>>>,
    ints: HashMap<usize, Vec<i64>>,
    ops: Vec<Op>,
    /// How many ops read each value (for fusion), and the graph outputs count as readers.
    readers: Vec<usize>,
    /// Values no op computes any more after fusion: they get no buffer.
    dead: Vec<usize>,
}

fn checked_len(shape: &[usize]) -> Result<usize, Unsupported> {
    if shape.len() > MAX_RANK {
        return Err(format!("rank {} above {MAX_RANK}", shape.len()));
    }
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_VALUE_LEN)
        .ok_or_else(|| format!("a tensor of {shape:?} is too large"))
}

fn attr<'a>(node: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn attr_i(node: &pb::NodeProto, name: &str, default: i64) -> i64 {
    attr(node, name).map_or(default, |a| a.i)
}

fn attr_f(node: &pb::NodeProto, name: &str, default: f32) -> f32 {
    attr(node, name).map_or(default, |a| a.f)
}

fn attr_ints<'a>(node: &'a pb::NodeProto, name: &str) -> Option<&'a [i64]> {
    attr(node, name).map(|a| a.ints.as_slice())
}

/// An axis in `-rank..rank`, made non-negative.
fn axis(value: i64, rank: usize) -> Result<usize, Unsupported> {
    let r = rank as i64;
    if !(-r..r).contains(&value) {
        return Err(format!("axis {value} outside rank {rank}"));
    }
    Ok(if value < 0 { value + r } else { value } as usize)
}

impl<'a> Builder<'a> {
    fn add(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        data: Option<Vec<f32>>,
    ) -> Result<usize, Unsupported> {
        if name.is_empty() || self.ids.contains_key(name) {
            return Err(format!("value `{name}` defined twice or unnamed"));
        }
        checked_len(&shape)?;
        let id = self.shapes.len();
        self.ids.insert(name.to_string(), id);
        self.shapes.push(shape);
        self.consts.push(data);
        self.readers.push(0);
        Ok(id)
    }

    /// Constant `id` was read once at plan time, into an op's own packed copy; a constant no op
    /// reads at run time is freed when planning ends ([`Builder::free_packed`]).
    fn packed(&mut self, id: usize) {
        self.readers[id] -= 1;
    }

    /// The values of constant `id` (float), wherever they still are.
    fn floats(&self, id: usize) -> Option<Floats<'a, '_>> {
        match (self.raw.get(&id), &self.consts[id]) {
            (Some(raw), _) => Some(Floats::Raw(raw)),
            (None, Some(data)) => Some(Floats::Owned(data)),
            (None, None) => None,
        }
    }

    /// Ends planning's use of the constants: those that only packed copies use are freed (a
    /// model's weights are then held once), and the deferred ones an op reads at run time are
    /// converted.
    fn finish_constants(&mut self) {
        for (id, c) in self.consts.iter_mut().enumerate() {
            let Some(data) = c else { continue };
            if self.readers[id] == 0 {
                *data = Vec::new();
            } else if let Some(raw) = self.raw.get(&id) {
                *data = raw.chunks_exact(4).map(weight).collect();
            }
        }
        self.raw.clear();
    }

    fn computed(&mut self, name: &str, shape: Vec<usize>) -> Result<usize, Unsupported> {
        self.add(name, shape, None)
    }

    fn constant(&mut self, t: &'a pb::TensorProto) -> Result<(), Unsupported> {
        let shape = t
            .dims
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| format!("dim {d}")))
            .collect::<Result<Vec<_>, _>>()?;
        let len = checked_len(&shape)?;
        const FLOAT: i32 = 1;
        const INT64: i32 = 7;
        match t.data_type {
            FLOAT if t.raw_data.len() >= DEFERRED_BYTES => {
                if t.raw_data.len() != len * 4 {
                    return Err(format!("initializer `{}` of the wrong size", t.name));
                }
                let id = self.add(&t.name, shape, Some(Vec::new()))?;
                self.raw.insert(id, &t.raw_data);
            }
            FLOAT => {
                let data: Vec<f32> = if !t.raw_data.is_empty() {
                    t.raw_data.chunks_exact(4).map(weight).collect()
                } else {
                    t.float_data.iter().map(|&v| flush(v)).collect()
                };
                if data.len() != len || !t.raw_data.len().is_multiple_of(4) {
                    return Err(format!("initializer `{}` of the wrong size", t.name));
                }
                self.add(&t.name, shape, Some(data))?;
            }
            INT64 => {
                let data: Vec<i64> = if !t.raw_data.is_empty() {
                    t.raw_data
                        .chunks_exact(8)
                        .map(|b| {
                            i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
                        })
                        .collect()
                } else {
                    t.int64_data.clone()
                };
                if data.len() != len || !t.raw_data.len().is_multiple_of(8) {
                    return Err(format!("initializer `{}` of the wrong size", t.name));
                }
                // Integer constants only steer shapes (axes, sizes); they have no float buffer.
                let id = self.add(&t.name, shape, Some(Vec::new()))?;
                self.ints.insert(id, data);
            }
            other => return Err(format!("initializer type {other}")),
        }
        Ok(())
    }

    /// The id of input `i` of `node`, which must be a float value.
    fn input(&mut self, node: &pb::NodeProto, i: usize) -> Result<usize, Unsupported> {
        let name = node
            .input
            .get(i)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("{} lacks input {i}", node.op_type))?;
        let id = *self
            .ids
            .get(name.as_str())
            .ok_or_else(|| format!("`{name}` used before it is defined"))?;
        if self.ints.contains_key(&id) {
            return Err(format!("integer `{name}` used as data"));
        }
        self.readers[id] += 1;
        Ok(id)
    }

    /// The integer constant at input `i`, if the node has one there.
    fn ints_at(&self, node: &pb::NodeProto, i: usize) -> Result<Option<Vec<i64>>, Unsupported> {
        match node.input.get(i).filter(|n| !n.is_empty()) {
            None => Ok(None),
            Some(name) => {
                let id = self.ids.get(name.as_str()).ok_or("unknown constant")?;
                self.ints
                    .get(id)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| format!("`{name}` is not an integer constant"))
            }
        }
    }

    fn output(
        &mut self,
        node: &pb::NodeProto,
        i: usize,
        shape: Vec<usize>,
    ) -> Result<usize, Unsupported> {
        let name = node
            .output
            .get(i)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("{} lacks output {i}", node.op_type))?;
        self.computed(&name.clone(), shape)
    }

    fn node(&mut self, node: &pb::NodeProto, opset: i64) -> Result<(), Unsupported> {
        if !(node.domain.is_empty() || node.domain == "ai.onnx") {
            return Err(format!("operator domain `{}`", node.domain));
        }
        let op = node.op_type.as_str();
        let unary = match op {
            "Relu" => Some(Unary::Relu),
            "Elu" => Some(Unary::Elu(attr_f(node, "alpha", 1.0))),
            "Tanh" => Some(Unary::Tanh),
            "Sigmoid" => Some(Unary::Sigmoid),
            _ => None,
        };
        if let Some(u) = unary {
            let x = self.input(node, 0)?;
            let y = self.output(node, 0, self.shapes[x].clone())?;
            self.ops.push(Op::Unary { op: u, x, y });
            return Ok(());
        }
        let binary = match op {
            "Add" => Some(Binary::Add),
            "Sub" => Some(Binary::Sub),
            "Mul" => Some(Binary::Mul),
            "Div" => Some(Binary::Div),
            _ => None,
        };
        if let Some(bin) = binary {
            let (a, b) = (self.input(node, 0)?, self.input(node, 1)?);
            let (shape, bc) = broadcast(&self.shapes[a], &self.shapes[b])?;
            let y = self.output(node, 0, shape)?;
            self.ops.push(Op::Binary {
                op: bin,
                a,
                b,
                y,
                shape: bc,
            });
            return Ok(());
        }
        match op {
            "Flatten" => {
                let x = self.input(node, 0)?;
                let shape = self.shapes[x].clone();
                // Flatten's axis may also be the rank itself (everything in the first part).
                let rank = shape.len() as i64;
                let value = attr_i(node, "axis", 1);
                if !(-rank..=rank).contains(&value) {
                    return Err(format!("Flatten axis {value} outside rank {rank}"));
                }
                let at = if value < 0 { value + rank } else { value } as usize;
                let y = self.output(
                    node,
                    0,
                    vec![shape[..at].iter().product(), shape[at..].iter().product()],
                )?;
                self.ops.push(Op::Copy { x, y });
            }
            "Squeeze" | "Unsqueeze" => {
                let x = self.input(node, 0)?;
                let axes = if opset >= 13 {
                    self.ints_at(node, 1)?
                } else {
                    attr_ints(node, "axes").map(<[i64]>::to_vec)
                };
                let mut shape = self.shapes[x].clone();
                if op == "Squeeze" {
                    let axes = axes.ok_or("Squeeze without axes")?;
                    let mut drop = axes
                        .iter()
                        .map(|&a| axis(a, shape.len()))
                        .collect::<Result<Vec<_>, _>>()?;
                    drop.sort_unstable();
                    drop.dedup();
                    for &a in drop.iter().rev() {
                        if shape[a] != 1 {
                            return Err("Squeeze of a dimension other than 1".into());
                        }
                        shape.remove(a);
                    }
                } else {
                    let axes = axes.ok_or("Unsqueeze without axes")?;
                    let rank = shape.len() + axes.len();
                    let mut add = axes
                        .iter()
                        .map(|&a| axis(a, rank))
                        .collect::<Result<Vec<_>, _>>()?;
                    add.sort_unstable();
                    add.dedup();
                    if add.len() != axes.len() {
                        return Err("repeated Unsqueeze axis".into());
                    }
                    for a in add {
                        shape.insert(a, 1);
                    }
                }
                let y = self.output(node, 0, shape)?;
                self.ops.push(Op::Copy { x, y });
            }
            "Reshape" => {
                let x = self.input(node, 0)?;
                let spec = self.ints_at(node, 1)?.ok_or("Reshape without a shape")?;
                let from = self.shapes[x].clone();
                let len: usize = from.iter().product();
                let mut shape = Vec::with_capacity(spec.len());
                let mut infer = None;
                for (i, &d) in spec.iter().enumerate() {
                    shape.push(match d {
                        0 if attr_i(node, "allowzero", 0) == 0 => {
                            *from.get(i).ok_or("Reshape 0 past the input's rank")?
                        }
                        -1 if infer.is_none() => {
                            infer = Some(i);
                            1
                        }
                        d if d > 0 => usize::try_from(d).map_err(|_| "Reshape dim")?,
                        _ => return Err(format!("Reshape dim {d}")),
                    });
                }
                let known = checked_len(&shape)?;
                if let Some(i) = infer {
                    if known == 0 || !len.is_multiple_of(known) {
                        return Err("Reshape cannot infer -1".into());
                    }
                    shape[i] = len / known;
                }
                if checked_len(&shape)? != len {
                    return Err("Reshape changes the size".into());
                }
                let y = self.output(node, 0, shape)?;
                self.ops.push(Op::Copy { x, y });
            }
            "Concat" => {
                let xs = (0..node.input.len())
                    .map(|i| self.input(node, i))
                    .collect::<Result<Vec<_>, _>>()?;
                let first = self.shapes[*xs.first().ok_or("empty Concat")?].clone();
                let at = axis(attr_i(node, "axis", 0), first.len())?;
                let mut shape = first.clone();
                shape[at] = 0;
                let mut inner = Vec::new();
                for &x in &xs {
                    let s = &self.shapes[x];
                    if s.len() != first.len()
                        || s.iter()
                            .zip(&first)
                            .enumerate()
                            .any(|(i, (a, b))| i != at && a != b)
                    {
                        return Err("Concat of mismatched shapes".into());
                    }
                    shape[at] += s[at];
                    inner.push(s[at..].iter().product());
                }
                let outer = first[..at].iter().product();
                let y = self.output(node, 0, shape)?;
                self.ops.push(Op::Concat {
                    xs,
                    inner,
                    outer,
                    y,
                });
            }
            "Split" => {
                let x = self.input(node, 0)?;
                let from = self.shapes[x].clone();
                let at = axis(attr_i(node, "axis", 0), from.len())?;
                let sizes = if opset >= 13 {
                    self.ints_at(node, 1)?
                } else {
                    attr_ints(node, "split").map(<[i64]>::to_vec)
                };
                let parts = node.output.len();
                let sizes: Vec<usize> = match sizes {
                    Some(s) => s
                        .iter()
                        .map(|&v| usize::try_from(v).map_err(|_| "Split size".to_string()))
                        .collect::<Result<_, _>>()?,
                    None if parts > 0 && from[at].is_multiple_of(parts) => {
                        vec![from[at] / parts; parts]
                    }
                    None => return Err("uneven Split".into()),
                };
                if sizes.len() != parts || sizes.iter().sum::<usize>() != from[at] {
                    return Err("Split sizes do not add up".into());
                }
                let tail: usize = from[at + 1..].iter().product();
                let mut ys = Vec::new();
                let mut inner = Vec::new();
                for (i, &size) in sizes.iter().enumerate() {
                    let mut shape = from.clone();
                    shape[at] = size;
                    ys.push(self.output(node, i, shape)?);
                    inner.push(size * tail);
                }
                let outer = from[..at].iter().product();
                self.ops.push(Op::Split {
                    x,
                    ys,
                    inner,
                    outer,
                });
            }
            "Softmax" => {
                let x = self.input(node, 0)?;
                let shape = self.shapes[x].clone();
                let default = if opset >= 13 { -1 } else { 1 };
                let at = axis(attr_i(node, "axis", default), shape.len())?;
                // Before opset 13 the axis flattens to 2-D; on the last axis both meanings agree.
                if at + 1 != shape.len() {
                    return Err("Softmax not on the last axis".into());
                }
                let n = shape[at];
                if n == 0 {
                    return Err("Softmax over nothing".into());
                }
                let y = self.output(node, 0, shape)?;
                self.ops.push(Op::Softmax { x, y, n });
            }
            "Gemm" => self.gemm(node)?,
            "Conv" => self.conv(node)?,
            "MaxPool" => {
                let x = self.input(node, 0)?;
                let shape = self.shapes[x].clone();
                let [1, channels, h, w] = shape[..] else {
                    return Err("MaxPool of a tensor that is not [1, C, H, W]".into());
                };
                let kernel = attr_ints(node, "kernel_shape").ok_or("MaxPool kernel")?;
                let [kh, kw] = dims2(kernel)?;
                let strides =
                    attr_ints(node, "strides").map_or([1, 1], |s| dims2(s).unwrap_or([0, 0]));
                plain_window(node, strides == [kh, kw])?;
                if node.output.len() > 1 || attr_i(node, "ceil_mode", 0) != 0 {
                    return Err("MaxPool indices or ceil_mode".into());
                }
                if kh == 0 || kw == 0 || kh > h || kw > w {
                    return Err("MaxPool window".into());
                }
                let pool = Pool {
                    kh,
                    kw,
                    oh: h / kh,
                    ow: w / kw,
                };
                let y = self.output(node, 0, vec![1, channels, pool.oh, pool.ow])?;
                self.ops.push(Op::MaxPool {
                    x,
                    y,
                    channels,
                    h,
                    w,
                    pool,
                });
            }
            other => return Err(format!("operator {other}")),
        }
        Ok(())
    }

    fn gemm(&mut self, node: &pb::NodeProto) -> Result<(), Unsupported> {
        let a = self.input(node, 0)?;
        let b_id = self.input(node, 1)?;
        let c_id = match node.input.get(2).filter(|n| !n.is_empty()) {
            Some(_) => Some(self.input(node, 2)?),
            None => None,
        };
        if attr_i(node, "transA", 0) != 0 {
            return Err("Gemm transA".into());
        }
        let (alpha, beta) = (attr_f(node, "alpha", 1.0), attr_f(node, "beta", 1.0));
        let [m, k] = dims2(&self.shapes[a].iter().map(|&d| d as i64).collect::<Vec<_>>())?;
        let b_const = self.floats(b_id).ok_or("Gemm weights not constant")?;
        let [b0, b1] = dims2(
            &self.shapes[b_id]
                .iter()
                .map(|&d| d as i64)
                .collect::<Vec<_>>(),
        )?;
        let trans_b = attr_i(node, "transB", 0) != 0;
        let (bk, n) = if trans_b { (b1, b0) } else { (b0, b1) };
        if bk != k {
            return Err("Gemm inner sizes differ".into());
        }
        let b = pack_gemv(b_const, k, n, trans_b, alpha);
        let bias = match c_id {
            None => None,
            Some(c) => {
                let data = self.floats(c).ok_or("Gemm bias not constant")?;
                let shape = &self.shapes[c];
                // A bias that broadcasts along the row: [n], [1, n], or a scalar.
                let bias: Vec<f32> = match (shape.as_slice(), data.len()) {
                    (_, 1) => vec![beta * data.get(0); n],
                    ([len], _) | ([1, len], _) if *len == n => {
                        (0..n).map(|i| beta * data.get(i)).collect()
                    }
                    _ => return Err("Gemm bias shape".into()),
                };
                Some(bias)
            }
        };
        // The weights and the bias live on in the packed copies only.
        self.packed(b_id);
        if let Some(c) = c_id {
            self.packed(c);
        }
        let y = self.output(node, 0, vec![m, n])?;
        self.ops.push(Op::Gemm {
            a,
            y,
            m,
            k,
            n,
            b,
            bias,
        });
        Ok(())
    }

    fn conv(&mut self, node: &pb::NodeProto) -> Result<(), Unsupported> {
        let x = self.input(node, 0)?;
        let w_id = self.input(node, 1)?;
        let b_id = match node.input.get(2).filter(|n| !n.is_empty()) {
            Some(_) => Some(self.input(node, 2)?),
            None => None,
        };
        let [1, c, h, w] = self.shapes[x][..] else {
            return Err("Conv of a tensor that is not [1, C, H, W]".into());
        };
        let [f, wc, kh, kw] = self.shapes[w_id][..] else {
            return Err("Conv weights not 4-D".into());
        };
        if wc != c || kh == 0 || kw == 0 || kh > h || kw > w || f == 0 {
            return Err("Conv sizes".into());
        }
        if let Some(kernel) = attr_ints(node, "kernel_shape")
            && dims2(kernel)? != [kh, kw]
        {
            return Err("Conv kernel_shape differs from its weights".into());
        }
        let strides = attr_ints(node, "strides").map_or([1, 1], |s| dims2(s).unwrap_or([0, 0]));
        plain_window(node, strides == [1, 1])?;
        if attr_i(node, "group", 1) != 1 {
            return Err("grouped Conv".into());
        }
        let weights = self.floats(w_id).ok_or("Conv weights not constant")?;
        let (oh, ow) = (h - kh + 1, w - kw + 1);
        let mut conv = Conv::planned([c, h, w], [f, kh, kw], Conv::reads_input(w, ow))?;
        if let Some(b) = b_id {
            let data = self.floats(b).ok_or("Conv bias not constant")?;
            if data.len() != f {
                return Err("Conv bias size".into());
            }
            for (i, v) in conv.bias[..f].iter_mut().enumerate() {
                *v = data.get(i);
            }
        }
        let k = conv.k;
        for fi in 0..f {
            weights.each(fi * k, k, |kk, v| {
                let at = conv.packed_at(fi, kk);
                conv.packed[at] = v;
            });
        }
        self.packed(w_id);
        if let Some(b) = b_id {
            self.packed(b);
        }
        let y = self.output(node, 0, vec![1, f, oh, ow])?;
        self.ops.push(Op::Conv {
            x,
            y,
            conv: Box::new(conv),
        });
        Ok(())
    }

    /// Folds `Conv -> activation -> MaxPool` chains into the convolution where the intermediate
    /// values are read by nothing else: the pooling runs on the product's output directly, and
    /// the activation after it (on fewer values; exact, as the activations are monotone).
    fn fuse_conv_act_pool(&mut self) {
        let mut i = 0;
        while i + 2 < self.ops.len() {
            let fusable = match &self.ops[i..i + 3] {
                [
                    Op::Conv { y: cy, .. },
                    Op::Unary { op, x: ux, y: uy },
                    Op::MaxPool { x: px, .. },
                ] => {
                    cy == ux
                        && uy == px
                        && self.readers[*cy] == 1
                        && self.readers[*uy] == 1
                        && op.commutes_with_max()
                }
                _ => false,
            };
            if fusable {
                let pool_op = self.ops.remove(i + 2);
                let act_op = self.ops.remove(i + 1);
                if let (
                    Op::Unary { op, y: uy, .. },
                    Op::MaxPool { y, pool, .. },
                    Op::Conv { y: cy, conv, .. },
                ) = (act_op, pool_op, &mut self.ops[i])
                {
                    // The convolution's and the activation's own values are computed no more.
                    self.dead.extend([*cy, uy]);
                    conv.act = Some(op);
                    conv.pool = Some(pool);
                    *cy = y;
                }
            }
            i += 1;
        }
    }
}

/// A Gemm's `k x n` weights (`[n][k]` in the file when `trans_b`, else `[k][n]`) in the panels
/// [`gemv_kernel`] reads ([`gemv_column`]), times `alpha`.
fn pack_gemv(b_const: Floats<'_, '_>, k: usize, n: usize, trans_b: bool, alpha: f32) -> Vec<f32> {
    let mut b = vec![0.0; k * n];
    let scale = |v: &mut [f32]| {
        if alpha != 1.0 {
            v.iter_mut().for_each(|x| *x *= alpha);
        }
    };
    if trans_b {
        // The file holds each output's weights as a row, `[n][k]`; a panel holds its outputs'
        // rows transposed, `[k][outputs]`. Each panel's rows are converted from the file's
        // bytes in one pass (`Floats::read`, which vectorises), then transposed by the
        // `transpose` crate's cache-blocked copy. Value by value straight from the bytes, a
        // dense layer's 4 MB took about 1 ms, most of a model's load.
        let mut rows = vec![0f32; GEMV_BLOCK.min(n) * k];
        let mut j0 = 0;
        while j0 < n {
            // At a panel's first output, the step between inputs is the panel's width.
            let (start, outputs) = gemv_column(k, n, j0);
            let src = &mut rows[..outputs * k];
            b_const.read(j0 * k, src);
            scale(src);
            transpose::transpose(src, &mut b[start..start + outputs * k], k, outputs);
            j0 += outputs;
        }
    } else {
        // `[k][n]`: each input's row is already in output order; its pieces go to the panels.
        let mut row = vec![0f32; n];
        for kk in 0..k {
            b_const.read(kk * n, &mut row);
            scale(&mut row);
            let mut j0 = 0;
            while j0 < n {
                let (start, outputs) = gemv_column(k, n, j0);
                b[start + kk * outputs..][..outputs].copy_from_slice(&row[j0..j0 + outputs]);
                j0 += outputs;
            }
        }
    }
    b
}

/// Float initializers of at least this many bytes are converted only into the copies the ops
/// pack (a dense layer's or a convolution's weights); smaller ones (biases) at once.
const DEFERRED_BYTES: usize = 16 * 1024;

/// Subnormal weights (trained weights decayed towards zero leave some) make every multiply-add
/// that reads them take a slow microcode path on x86: one model's dense layer ran 5x slower for
/// it. They are below 1.2e-38, so zero is exact to any tolerance that matters.
fn flush(v: f32) -> f32 {
    if v.is_subnormal() { 0.0 } else { v }
}

/// One little-endian float of an initializer's bytes, subnormals flushed.
fn weight(b: &[u8]) -> f32 {
    let bytes: [u8; 4] = b.try_into().unwrap_or_default();
    flush(f32::from_le_bytes(bytes))
}

/// A constant's values at plan time: converted, or still the file's bytes.
#[derive(Clone, Copy)]
enum Floats<'a, 'b> {
    Owned(&'b [f32]),
    Raw(&'a [u8]),
}

impl Floats<'_, '_> {
    fn len(&self) -> usize {
        match self {
            Floats::Owned(v) => v.len(),
            Floats::Raw(b) => b.len() / 4,
        }
    }

    /// Value `i`; the callers index within the shape checked at plan time.
    fn get(&self, i: usize) -> f32 {
        match self {
            Floats::Owned(v) => v[i],
            Floats::Raw(b) => weight(&b[i * 4..i * 4 + 4]),
        }
    }

    /// Values `start..start + out.len()` into `out`, in one pass (the conversion from the file's
    /// bytes vectorises).
    fn read(&self, start: usize, out: &mut [f32]) {
        match self {
            Floats::Owned(v) => out.copy_from_slice(&v[start..start + out.len()]),
            Floats::Raw(b) => {
                let bytes = &b[start * 4..(start + out.len()) * 4];
                for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                    *o = weight(c);
                }
            }
        }
    }

    /// `f(i, value start + i)` for the `len` values from `start`, in order.
    fn each(&self, start: usize, len: usize, mut f: impl FnMut(usize, f32)) {
        match self {
            Floats::Owned(v) => {
                for (i, &x) in v[start..start + len].iter().enumerate() {
                    f(i, x);
                }
            }
            Floats::Raw(b) => {
                for (i, c) in b[start * 4..(start + len) * 4].chunks_exact(4).enumerate() {
                    f(i, weight(c));
                }
            }
        }
    }
}

/// A 2-element window attribute as sizes.
fn dims2(v: &[i64]) -> Result<[usize; 2], Unsupported> {
    match v {
        [a, b] if *a >= 0 && *b >= 0 => Ok([*a as usize, *b as usize]),
        _ => Err(format!("window {v:?}")),
    }
}

/// Refuses what the planned windows do not do: padding, dilation, any `auto_pad` other than
/// none/valid, and strides other than the expected ones.
fn plain_window(node: &pb::NodeProto, strides_ok: bool) -> Result<(), Unsupported> {
    let pads_zero = attr_ints(node, "pads").is_none_or(|p| p.iter().all(|&v| v == 0));
    let dilations_one = attr_ints(node, "dilations").is_none_or(|d| d.iter().all(|&v| v == 1));
    let auto_pad = attr(node, "auto_pad").map_or(&b""[..], |a| a.s.as_slice());
    let auto_pad_ok = matches!(auto_pad, b"" | b"NOTSET" | b"VALID");
    let storage_ok = attr_i(node, "storage_order", 0) == 0;
    if pads_zero && dilations_one && auto_pad_ok && strides_ok && storage_ok {
        Ok(())
    } else {
        Err(format!(
            "{} with padding, dilation or strides",
            node.op_type
        ))
    }
}

/// Numpy broadcasting of two shapes into the output shape and the element strides.
fn broadcast(a: &[usize], b: &[usize]) -> Result<(Vec<usize>, Broadcast), Unsupported> {
    let rank = a.len().max(b.len());
    if rank > MAX_RANK {
        return Err("rank".into());
    }
    let pad = |s: &[usize]| {
        let mut p = [1usize; MAX_RANK];
        p[MAX_RANK - s.len()..].copy_from_slice(s);
        p
    };
    let (pa, pb) = (pad(a), pad(b));
    let mut dims = [1usize; MAX_RANK];
    for r in 0..MAX_RANK {
        dims[r] = match (pa[r], pb[r]) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return Err(format!("shapes {a:?} and {b:?} do not broadcast")),
        };
    }
    let strides = |p: &[usize; MAX_RANK]| {
        let mut s = [0usize; MAX_RANK];
        let mut acc = 1;
        for r in (0..MAX_RANK).rev() {
            s[r] = if p[r] == 1 { 0 } else { acc };
            acc *= p[r];
        }
        s
    };
    let out = dims[MAX_RANK - rank..].to_vec();
    checked_len(&out)?;
    Ok((
        out,
        Broadcast {
            dims,
            a: strides(&pa),
            b: strides(&pb),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeded values in [-1, 1).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// The same convolution (weights, bias, activation, pooling) read through im2col and
    /// straight from the input, on every kernel this CPU has.
    fn both_ways(input: [usize; 3], filters: [usize; 3], pool: Option<[usize; 2]>) {
        let [c, h, w] = input;
        let [f, kh, kw] = filters;
        let x = values(c * h * w, 7);
        let weights = values(f * c * kh * kw, 11);
        let bias = values(f, 13);
        let (oh, ow) = (h - kh + 1, w - kw + 1);
        let mut outputs = Vec::new();
        for direct in [false, true] {
            let mut conv = Conv::planned(input, filters, direct).unwrap();
            let k = conv.k;
            for fi in 0..f {
                for kk in 0..k {
                    let at = conv.packed_at(fi, kk);
                    conv.packed[at] = weights[fi * k + kk];
                }
            }
            conv.bias[..f].copy_from_slice(&bias);
            conv.act = Some(Unary::Relu);
            conv.pool = pool.map(|[ph, pw]| Pool {
                kh: ph,
                kw: pw,
                oh: oh / ph,
                ow: ow / pw,
            });
            let out_len = match &conv.pool {
                Some(p) => f * p.oh * p.ow,
                None => f * oh * ow,
            };
            for isa in [Isa::Baseline, Isa::detect()] {
                let mut col = vec![f32::NAN; conv.col_len()];
                let mut prod = vec![f32::NAN; conv.f_pad * conv.p_pad];
                let mut out = vec![f32::NAN; out_len];
                conv.run(&x, &mut col, &mut prod, &mut out, isa);
                outputs.push((direct, isa, out));
            }
        }
        // The reference: the definition, in f64.
        let mut reference = vec![0.0f32; f * oh * ow];
        for fi in 0..f {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut sum = f64::from(bias[fi]);
                    for ci in 0..c {
                        for i in 0..kh {
                            for j in 0..kw {
                                let wv = weights[((fi * c + ci) * kh + i) * kw + j];
                                let xv = x[(ci * h + oy + i) * w + ox + j];
                                sum += f64::from(wv) * f64::from(xv);
                            }
                        }
                    }
                    reference[(fi * oh + oy) * ow + ox] = (sum as f32).max(0.0);
                }
            }
        }
        let expected = match pool {
            Some([ph, pw]) => {
                let (poh, pow) = (oh / ph, ow / pw);
                let mut pooled = vec![f32::NEG_INFINITY; f * poh * pow];
                for fi in 0..f {
                    for y in 0..poh * ph {
                        for xx in 0..pow * pw {
                            let o = &mut pooled[(fi * poh + y / ph) * pow + xx / pw];
                            *o = o.max(reference[(fi * oh + y) * ow + xx]);
                        }
                    }
                }
                pooled
            }
            None => reference,
        };
        for (direct, isa, out) in &outputs {
            let worst = out
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                worst < 1e-4,
                "direct {direct}, {isa:?}: {worst} from the definition ({input:?} by {filters:?})"
            );
        }
    }

    #[test]
    fn gemm_weights_land_where_the_product_reads_them() {
        // The dense layer's shape (n = 200 leaves a tail of 8 outputs after three panels),
        // shapes with a tail of their own lanes, a single panel, and small ones (only a tail).
        for (k, n) in [(5760, 200), (2100, 88), (1024, 64), (3, 7), (5, 16)] {
            let w = values(k * n, 3);
            let bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
            for trans_b in [false, true] {
                for floats in [Floats::Owned(&w), Floats::Raw(&bytes)] {
                    let packed = pack_gemv(floats, k, n, trans_b, 0.5);
                    let mut seen = vec![false; k * n];
                    for j in 0..n {
                        let (start, stride) = gemv_column(k, n, j);
                        for kk in 0..k {
                            let at = start + kk * stride;
                            let stored = if trans_b {
                                w[j * k + kk]
                            } else {
                                w[kk * n + j]
                            };
                            assert_eq!(packed[at], 0.5 * stored, "{k} x {n}, transB {trans_b}");
                            seen[at] = true;
                        }
                    }
                    assert!(seen.iter().all(|&s| s), "{k} x {n}: a slot left unwritten");
                }
            }
        }
    }

    #[test]
    fn an_unfused_max_pool_pools_each_channel_of_its_own_map() {
        // A MaxPool the planner does not fuse (e.g. after a convolution without an activation):
        // 3 channels of 4 x 6 in windows of 2 x 3.
        let (channels, h, w) = (3, 4, 6);
        let x = values(channels * h * w, 5);
        let pool = Pool {
            kh: 2,
            kw: 3,
            oh: 2,
            ow: 2,
        };
        let mut out = vec![f32::NAN; channels * 4];
        max_pool(&x, channels, h, w, &pool, &mut out);
        for c in 0..channels {
            for oy in 0..2 {
                for ox in 0..2 {
                    let window = (0..2)
                        .flat_map(|i| (0..3).map(move |j| (c * h + oy * 2 + i) * w + ox * 3 + j));
                    let expected = window.map(|at| x[at]).fold(f32::NEG_INFINITY, f32::max);
                    assert_eq!(out[(c * 2 + oy) * 2 + ox], expected, "channel {c}");
                }
            }
        }
    }

    #[test]
    fn a_convolution_read_from_its_input_equals_one_through_im2col() {
        // MCCLSTM's B and P channels (read directly by the planner) and T (through im2col),
        // CNNs-3's second layer (several input channels), each pooled as the model does and
        // unpooled; filters not a multiple of 4.
        both_ways([1, 40, 80], [6, 13, 9], Some([4, 4]));
        both_ways([1, 40, 80], [6, 13, 9], None);
        both_ways([1, 40, 80], [5, 32, 1], Some([1, 80]));
        both_ways([1, 40, 80], [5, 1, 60], Some([40, 1]));
        both_ways([3, 18, 38], [7, 3, 3], Some([2, 2]));
        both_ways([3, 18, 38], [7, 3, 3], None);
    }
}

//! The arithmetic of step-by-step inference: matrix-vector products over contiguous row-major
//! `f32` rows, with AVX2+FMA when the CPU has them.

/// `out[r] += w[r, :] · x` for a row-major `rows × cols` matrix, using AVX2+FMA when the CPU
/// has them (checked once per call; the same machine always takes the same path, so results
/// are reproducible there).
pub fn matvec_row_major(w: &[f32], rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function is compiled for.
        unsafe { matvec_avx2(w, rows, cols, x, out) };
        return;
    }
    matvec_portable(w, rows, cols, x, out);
}

fn matvec_portable(w: &[f32], rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    for (r, o) in out.iter_mut().enumerate().take(rows) {
        *o += dot(&w[r * cols..(r + 1) * cols], x);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn matvec_avx2(w: &[f32], rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    for (r, o) in out.iter_mut().enumerate().take(rows) {
        *o += dot(&w[r * cols..(r + 1) * cols], x);
    }
}

/// `out[k] = w[ids[k], :] · x` for the listed rows only.
pub fn rows_dot(w: &[f32], cols: usize, ids: &[u16], x: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function is compiled for.
        unsafe { rows_dot_avx2(w, cols, ids, x, out) };
        return;
    }
    for (o, &id) in out.iter_mut().zip(ids) {
        let r = id as usize;
        *o = dot(&w[r * cols..(r + 1) * cols], x);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_dot_avx2(w: &[f32], cols: usize, ids: &[u16], x: &[f32], out: &mut [f32]) {
    for (o, &id) in out.iter_mut().zip(ids) {
        let r = id as usize;
        *o = dot(&w[r * cols..(r + 1) * cols], x);
    }
}

/// Dot product with eight independent accumulators, which the compiler turns into SIMD.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks_a = a.chunks_exact(8);
    let chunks_b = b.chunks_exact(8);
    let rest: f32 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for i in 0..8 {
            acc[i] += ca[i] * cb[i];
        }
    }
    acc.iter().sum::<f32>() + rest
}

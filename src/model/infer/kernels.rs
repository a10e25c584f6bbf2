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

/// Eight rows at a time, each with its own accumulator: the eight fused multiply-add chains run
/// side by side (one chain alone waits on each add's latency), and each load of `x` serves eight
/// rows.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn matvec_avx2(w: &[f32], rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    use std::arch::x86_64::*;
    assert!(w.len() >= rows * cols && x.len() >= cols && out.len() >= rows);
    let lanes = cols / 8 * 8;
    let mut r = 0;
    while r + ROWS_AT_ONCE <= rows {
        // SAFETY: every load reads 8 floats at column c < lanes ≤ cols of rows r..r+8 ≤ rows,
        // inside `w` and `x` (checked above).
        unsafe {
            let base = w.as_ptr().add(r * cols);
            let mut acc = [_mm256_setzero_ps(); ROWS_AT_ONCE];
            let mut c = 0;
            while c < lanes {
                let xv = _mm256_loadu_ps(x.as_ptr().add(c));
                for (k, a) in acc.iter_mut().enumerate() {
                    *a = _mm256_fmadd_ps(_mm256_loadu_ps(base.add(k * cols + c)), xv, *a);
                }
                c += 8;
            }
            for (k, a) in acc.iter().enumerate() {
                let row = &w[(r + k) * cols..(r + k + 1) * cols];
                let tail: f32 = row[lanes..]
                    .iter()
                    .zip(&x[lanes..cols])
                    .map(|(a, b)| a * b)
                    .sum();
                out[r + k] += horizontal_sum(*a) + tail;
            }
        }
        r += ROWS_AT_ONCE;
    }
    for (row, o) in out.iter_mut().enumerate().take(rows).skip(r) {
        *o += dot(&w[row * cols..(row + 1) * cols], x);
    }
}

/// Rows the vector kernel works on together (eight accumulators and `x` fit the 16 registers).
#[cfg(target_arch = "x86_64")]
const ROWS_AT_ONCE: usize = 8;

/// The sum of a vector's eight lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn horizontal_sum(v: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let pairs = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let fours = _mm_add_ps(pairs, _mm_movehl_ps(pairs, pairs));
    let one = _mm_add_ss(fours, _mm_shuffle_ps(fours, fours, 1));
    _mm_cvtss_f32(one)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector kernel against the plain one, on shapes with and without a row or column tail.
    #[test]
    fn the_vector_kernel_matches_the_portable_one() {
        for (rows, cols) in [(8, 16), (7, 19), (576, 192), (3, 5), (478, 768)] {
            let w: Vec<f32> = (0..rows * cols)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
                .collect();
            let x: Vec<f32> = (0..cols)
                .map(|i| ((i * 13 % 29) as f32 - 14.0) / 14.0)
                .collect();
            let mut fast = vec![0.5; rows];
            let mut plain = vec![0.5; rows];
            matvec_row_major(&w, rows, cols, &x, &mut fast);
            matvec_portable(&w, rows, cols, &x, &mut plain);
            for (a, b) in fast.iter().zip(&plain) {
                assert!(
                    (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                    "{rows}x{cols}: {a} vs {b}"
                );
            }
        }
    }
}

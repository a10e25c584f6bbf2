//! Reading a model's weights with the `safetensors` crate (no tensor library needed), checked
//! against the names, element type and shapes its configuration expects.

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use crate::model::ModelError;
use crate::model::network::NetworkConfig;

/// A tensor element type as libtorch names it (`Float` for 32-bit floats).
fn dtype_name(dtype: Dtype) -> String {
    match dtype {
        Dtype::F32 => "Float".into(),
        Dtype::F64 => "Double".into(),
        Dtype::F16 => "Half".into(),
        Dtype::BF16 => "BFloat16".into(),
        other => format!("{other:?}"),
    }
}

/// Reads a safetensors file and checks that it holds exactly the tensors `config` needs, as
/// 32-bit floats of the right shapes; each comes back flattened, row-major.
pub fn read_weights(
    path: &Path,
    config: &NetworkConfig,
) -> Result<HashMap<String, Vec<f32>>, ModelError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let reason = if e.kind() == std::io::ErrorKind::NotFound {
            "the weights file is missing".to_string()
        } else {
            format!("the weights file cannot be read ({e})")
        };
        ModelError::checkpoint(path, reason)
    })?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| {
        ModelError::checkpoint(path, format!("not a readable safetensors file ({e:?})"))
    })?;
    let expected = config.tensor_shapes();
    let mut weights = HashMap::with_capacity(expected.len());
    for (name, shape) in &expected {
        let view = file
            .tensor(name)
            .map_err(|_| ModelError::checkpoint(path, format!("the tensor `{name}` is missing")))?;
        let found: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
        if view.dtype() != Dtype::F32 || found != *shape {
            return Err(ModelError::checkpoint(
                path,
                format!(
                    "the tensor `{name}` is {} {found:?}, but the model's configuration needs Float {shape:?}",
                    dtype_name(view.dtype())
                ),
            ));
        }
        let values = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        weights.insert(name.clone(), values);
    }
    if file.len() != expected.len() {
        return Err(ModelError::checkpoint(
            path,
            format!(
                "{} tensors where the configuration has {}",
                file.len(),
                expected.len()
            ),
        ));
    }
    Ok(weights)
}

//! What a PyTorch `.pth` archive declares and what it holds, checked before any
//! tensor is used.
//!
//! A `torch.save` file (PyTorch ≥ 1.6) is a zip archive: `<name>/data.pkl`, a
//! pickle of the state dict in which every tensor is
//! `_rebuild_tensor_v2(storage, offset, size, stride, ...)` and every storage a
//! persistent id `('storage', torch.FloatStorage, key, location, numel)`, and one
//! record `<name>/data/<key>` of raw little-endian bytes per storage.
//!
//! burn-store reads the records lazily and fills a missing or short record with
//! zeros without a word, so a truncated or edited file would load as a
//! silently wrong model. [`verify`] reads the pickle itself (a small stack
//! machine over the opcodes `torch.save` emits, protocols 2 to 5) and checks that
//! every storage's record exists with exactly `numel × element size` bytes and
//! that every tensor lies inside its storage.
//!
//! Legacy (pre-1.6, non-zip) files are not verified here; burn-store reads them
//! eagerly.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// One storage declared by the pickle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Storage {
    /// The record key (`"0"`, `"1"`, ...).
    pub key: String,
    /// The storage class, e.g. `torch.FloatStorage`.
    pub class: String,
    /// Bytes per element of the class.
    pub element_size: usize,
    /// Elements declared.
    pub numel: u64,
}

/// One tensor declared by the pickle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorRef {
    /// Key of its storage.
    pub storage: String,
    /// Offset in elements.
    pub offset: u64,
    /// Shape.
    pub size: Vec<u64>,
    /// Strides in elements.
    pub stride: Vec<u64>,
}

impl TensorRef {
    /// Elements of the storage the tensor reaches: `offset + Σ (size_i - 1) stride_i + 1`
    /// (`0` for an empty tensor), saturating.
    pub fn extent(&self) -> u64 {
        if self.size.contains(&0) {
            return 0;
        }
        let reach = self
            .size
            .iter()
            .zip(&self.stride)
            .fold(0u64, |acc, (&n, &s)| acc.saturating_add((n - 1).saturating_mul(s)));
        self.offset.saturating_add(reach).saturating_add(1)
    }
}

/// Why a `.pth` archive is refused (the caller names the file).
pub type Problem = String;

fn element_size(class: &str) -> Option<usize> {
    let name = class.rsplit('.').next().unwrap_or(class);
    Some(match name {
        "DoubleStorage" | "LongStorage" | "ComplexFloatStorage" => 8,
        "FloatStorage" | "IntStorage" => 4,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        "CharStorage" | "ByteStorage" | "BoolStorage" => 1,
        _ => return None,
    })
}

/// A value on the pickle machine's stack: only what tensors need is kept.
#[derive(Clone, Debug)]
enum Value {
    Str(String),
    Int(i64),
    Global(String),
    Tuple(Vec<Value>),
    Storage(usize),
    Mark,
    Other,
}

/// A cursor over the pickle's bytes.
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], Problem> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len()).ok_or("the pickle is truncated")?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The bytes up to the next newline (protocol-0 arguments), as text.
    fn line(&mut self) -> Result<String, Problem> {
        let rest = &self.data[self.pos..];
        let n = rest.iter().position(|&b| b == b'\n').ok_or("the pickle is truncated")?;
        self.pos += n + 1;
        Ok(String::from_utf8_lossy(&rest[..n]).into_owned())
    }
}

/// A little-endian unsigned integer of up to 8 bytes.
fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

/// The storages and tensors declared by the pickle `data`.
///
/// # Errors
/// A truncated pickle, an opcode `torch.save` does not emit, or a storage id of
/// an unknown form.
pub fn parse_pickle(data: &[u8]) -> Result<(Vec<Storage>, Vec<TensorRef>), Problem> {
    let mut r = Bytes { data, pos: 0 };
    let mut stack: Vec<Value> = Vec::new();
    let mut memo: HashMap<u64, Value> = HashMap::new();
    let mut storages: Vec<Storage> = Vec::new();
    let mut tensors: Vec<TensorRef> = Vec::new();
    let pop = |stack: &mut Vec<Value>| stack.pop().ok_or_else(|| "the pickle pops an empty stack".to_string());
    let pop_mark = |stack: &mut Vec<Value>| -> Result<Vec<Value>, Problem> {
        let at = stack.iter().rposition(|v| matches!(v, Value::Mark)).ok_or("the pickle has no mark")?;
        let items = stack.split_off(at + 1);
        stack.pop();
        Ok(items)
    };
    loop {
        let op = r.take(1)?[0];
        match op {
            0x80 => {
                r.take(1)?;
            }
            0x95 => {
                r.take(8)?;
            }
            b'.' => break,
            b'}' | b']' | 0x8f | b'N' | 0x88 | 0x89 => stack.push(Value::Other),
            b')' => stack.push(Value::Tuple(Vec::new())),
            b'(' => stack.push(Value::Mark),
            b'q' | b'r' | 0x94 => {
                let idx = match op {
                    b'q' => u64::from(r.take(1)?[0]),
                    b'r' => le(r.take(4)?),
                    _ => memo.len() as u64,
                };
                let top = stack.last().cloned().ok_or("the pickle memoizes an empty stack")?;
                memo.insert(idx, top);
            }
            b'h' | b'j' => {
                let idx = if op == b'h' { u64::from(r.take(1)?[0]) } else { le(r.take(4)?) };
                stack.push(memo.get(&idx).cloned().ok_or("the pickle reads an unset memo entry")?);
            }
            b'X' | 0x8c | 0x8d | b'T' | b'U' => {
                let n = match op {
                    0x8c | b'U' => u64::from(r.take(1)?[0]),
                    0x8d => le(r.take(8)?),
                    _ => le(r.take(4)?),
                };
                let n = usize::try_from(n).map_err(|_| "a string length overflows")?;
                stack.push(Value::Str(String::from_utf8_lossy(r.take(n)?).into_owned()));
            }
            b'B' | b'C' | 0x8e => {
                let n = match op {
                    b'C' => u64::from(r.take(1)?[0]),
                    0x8e => le(r.take(8)?),
                    _ => le(r.take(4)?),
                };
                r.take(usize::try_from(n).map_err(|_| "a bytes length overflows")?)?;
                stack.push(Value::Other);
            }
            b'c' => {
                let module = r.line()?;
                let name = r.line()?;
                stack.push(Value::Global(format!("{module}.{name}")));
            }
            0x93 => {
                let name = pop(&mut stack)?;
                let module = pop(&mut stack)?;
                match (module, name) {
                    (Value::Str(m), Value::Str(n)) => stack.push(Value::Global(format!("{m}.{n}"))),
                    _ => stack.push(Value::Other),
                }
            }
            b'K' => stack.push(Value::Int(i64::from(r.take(1)?[0]))),
            b'M' => stack.push(Value::Int(le(r.take(2)?) as i64)),
            b'J' => {
                let b = r.take(4)?;
                stack.push(Value::Int(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))));
            }
            0x8a | 0x8b => {
                let n = if op == 0x8a { u64::from(r.take(1)?[0]) } else { le(r.take(4)?) };
                let n = usize::try_from(n).map_err(|_| "a long length overflows")?;
                let b = r.take(n)?;
                stack.push(if n <= 8 && b.last().is_none_or(|&x| x < 0x80) {
                    Value::Int(le(b) as i64)
                } else {
                    Value::Other
                });
            }
            b'G' => {
                r.take(8)?;
                stack.push(Value::Other);
            }
            b'I' | b'L' => {
                let text = r.line()?;
                stack.push(text.trim_end_matches('L').parse().map(Value::Int).unwrap_or(Value::Other));
            }
            b'F' | b'S' | b'V' | b'P' => {
                r.line()?;
                stack.push(Value::Other);
            }
            b'i' => {
                r.line()?;
                r.line()?;
                pop_mark(&mut stack)?;
                stack.push(Value::Other);
            }
            b't' => {
                let items = pop_mark(&mut stack)?;
                stack.push(Value::Tuple(items));
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                if stack.len() < n {
                    return Err("the pickle builds a tuple from an empty stack".into());
                }
                let items = stack.split_off(stack.len() - n);
                stack.push(Value::Tuple(items));
            }
            b'Q' => {
                let pid = pop(&mut stack)?;
                let Value::Tuple(items) = pid else { return Err("a persistent id is not a tuple".into()) };
                match items.as_slice() {
                    [Value::Str(tag), Value::Global(class), Value::Str(key), _, Value::Int(numel)]
                        if tag == "storage" =>
                    {
                        let element_size =
                            element_size(class).ok_or_else(|| format!("storage {key} has an unknown type {class}"))?;
                        let numel =
                            u64::try_from(*numel).map_err(|_| format!("storage {key} declares {numel} elements"))?;
                        storages.push(Storage { key: key.clone(), class: class.clone(), element_size, numel });
                        stack.push(Value::Storage(storages.len() - 1));
                    }
                    _ => return Err(format!("a persistent id of an unknown form: {items:?}")),
                }
            }
            b'R' => {
                let args = pop(&mut stack)?;
                let callable = pop(&mut stack)?;
                if let (Value::Global(name), Value::Tuple(args)) = (&callable, &args) {
                    if name.ends_with("_rebuild_tensor_v2") || name.ends_with("_rebuild_tensor") {
                        tensors.push(tensor_of(args, &storages)?);
                    }
                }
                stack.push(Value::Other);
            }
            0x81 => {
                pop(&mut stack)?;
                pop(&mut stack)?;
                stack.push(Value::Other);
            }
            0x92 => {
                pop(&mut stack)?;
                pop(&mut stack)?;
                pop(&mut stack)?;
                stack.push(Value::Other);
            }
            b'b' | b'a' | b'0' => {
                pop(&mut stack)?;
            }
            b's' => {
                pop(&mut stack)?;
                pop(&mut stack)?;
            }
            b'u' | b'e' | 0x90 | b'1' => {
                pop_mark(&mut stack)?;
            }
            b'l' | b'd' | b'o' | 0x91 => {
                pop_mark(&mut stack)?;
                stack.push(Value::Other);
            }
            b'2' => {
                let top = stack.last().cloned().ok_or("the pickle duplicates an empty stack")?;
                stack.push(top);
            }
            0x82 => {
                r.take(1)?;
                stack.push(Value::Other);
            }
            0x83 => {
                r.take(2)?;
                stack.push(Value::Other);
            }
            0x84 => {
                r.take(4)?;
                stack.push(Value::Other);
            }
            other => return Err(format!("the pickle uses opcode 0x{other:02x}, which torch.save does not write")),
        }
    }
    Ok((storages, tensors))
}

/// `_rebuild_tensor_v2(storage, offset, size, stride, ...)`.
fn tensor_of(args: &[Value], storages: &[Storage]) -> Result<TensorRef, Problem> {
    let ints = |v: &Value| -> Option<Vec<u64>> {
        match v {
            Value::Tuple(items) => items
                .iter()
                .map(|i| match i {
                    Value::Int(n) => u64::try_from(*n).ok(),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    };
    let [Value::Storage(index), Value::Int(offset), size, stride, ..] = args else {
        return Err("a tensor is rebuilt from arguments of an unknown form".into());
    };
    let (Some(size), Some(stride)) = (ints(size), ints(stride)) else {
        return Err("a tensor's size or stride is not a tuple of non-negative integers".into());
    };
    if size.len() != stride.len() {
        return Err(format!("a tensor has size {size:?} but stride {stride:?}"));
    }
    let storage = storages.get(*index).map(|s| s.key.clone()).unwrap_or_default();
    Ok(TensorRef { storage, offset: u64::try_from(*offset).unwrap_or(u64::MAX), size, stride })
}

/// Checks a `.pth` file whole: every storage the pickle declares has its record
/// of exactly `numel × element size` bytes, and every tensor lies inside its
/// storage. Returns the number of tensors checked; `Ok(None)` for files that are
/// not zip archives (legacy format, not verified).
///
/// # Errors
/// The first problem found, in words (the caller names the file).
pub fn verify(path: &Path) -> Result<Option<usize>, Problem> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(None);
    };
    let mut sizes: HashMap<String, u64> = HashMap::new();
    let mut pickle_name = None;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| format!("zip entry {i}: {e}"))?;
        let name = entry.name().to_string();
        if name.ends_with("data.pkl") && pickle_name.is_none() {
            pickle_name = Some(name.clone());
        }
        if let Some((_, key)) = name.rsplit_once("/data/").or_else(|| name.strip_prefix("data/").map(|k| ("", k))) {
            sizes.insert(key.to_string(), entry.size());
        }
    }
    let pickle_name = pickle_name.ok_or("the archive has no data.pkl")?;
    let mut pickle = Vec::new();
    archive
        .by_name(&pickle_name)
        .map_err(|e| format!("{pickle_name}: {e}"))?
        .read_to_end(&mut pickle)
        .map_err(|e| format!("{pickle_name}: {e}"))?;
    let (storages, tensors) = parse_pickle(&pickle)?;
    check(&storages, &tensors, &sizes)?;
    Ok(Some(tensors.len()))
}

/// The checks of [`verify`] on parsed contents: `sizes` maps record keys to byte lengths.
///
/// # Errors
/// The first missing or wrongly sized record, or tensor outside its storage.
pub fn check(storages: &[Storage], tensors: &[TensorRef], sizes: &HashMap<String, u64>) -> Result<(), Problem> {
    for s in storages {
        let expected = s.numel.saturating_mul(s.element_size as u64);
        match sizes.get(&s.key) {
            None => {
                return Err(format!(
                    "the data record of storage {} ({} {} values) is missing from the archive",
                    s.key, s.numel, s.class
                ))
            }
            Some(&got) if got != expected => {
                return Err(format!(
                    "the data record of storage {} holds {got} bytes, but {} {} values need {expected}",
                    s.key, s.numel, s.class
                ))
            }
            Some(_) => {}
        }
    }
    let numel: HashMap<&str, u64> = storages.iter().map(|s| (s.key.as_str(), s.numel)).collect();
    for t in tensors {
        let available = numel.get(t.storage.as_str()).copied().unwrap_or(0);
        if t.extent() > available {
            return Err(format!(
                "a tensor of shape {:?} at offset {} reaches element {} of storage {}, which holds {available}",
                t.size,
                t.offset,
                t.extent(),
                t.storage
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    fn storage(key: &str, numel: u64) -> Storage {
        Storage { key: key.into(), class: "torch.FloatStorage".into(), element_size: 4, numel }
    }

    #[test]
    fn missing_short_and_overreaching_records_are_named() {
        let storages = [storage("0", 6), storage("1", 2)];
        let tensor = TensorRef { storage: "0".into(), offset: 0, size: vec![2, 3], stride: vec![3, 1] };
        let sizes: HashMap<String, u64> = [("0".to_string(), 24), ("1".to_string(), 8)].into();
        assert!(check(&storages, std::slice::from_ref(&tensor), &sizes).is_ok());
        let e = check(&storages, &[], &[("0".to_string(), 24)].into()).unwrap_err();
        assert!(e.contains("storage 1") && e.contains("missing"), "{e}");
        let e = check(&storages, &[], &[("0".to_string(), 20), ("1".to_string(), 8)].into()).unwrap_err();
        assert!(e.contains("20 bytes") && e.contains("24"), "{e}");
        let far = TensorRef { offset: 1, ..tensor };
        assert!(check(&storages, &[far], &sizes).unwrap_err().contains("reaches element 7"));
    }

    #[test]
    fn empty_tensors_reach_nothing() {
        assert_eq!(TensorRef { storage: "0".into(), offset: 5, size: vec![0, 3], stride: vec![3, 1] }.extent(), 0);
        assert_eq!(TensorRef { storage: "0".into(), offset: 2, size: vec![], stride: vec![] }.extent(), 3);
    }
}

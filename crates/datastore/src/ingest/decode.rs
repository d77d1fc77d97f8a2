//! Opening a text file in its encoding as a stream of UTF-8 bytes.

use encoding_rs::{DecoderResult, Encoding, UTF_8};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

const BUFFER: usize = 64 * 1024;

/// Bytes that are not valid in the file's encoding, on a line (counted from 1).
#[derive(Debug, thiserror::Error)]
#[error("line {line}: bytes that are not valid {encoding}")]
pub(super) struct DecodeFailure {
    pub line: u64,
    pub encoding: &'static str,
}

/// The file from just after its byte order mark (`bom_len` bytes), as UTF-8: the file itself
/// if it is UTF-8 (to be checked by the reader), else decoded on the fly.
pub(super) fn open(
    path: &Path,
    encoding: &'static Encoding,
    bom_len: usize,
) -> io::Result<Box<dyn Read + Send>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(bom_len as u64))?;
    if encoding == UTF_8 { Ok(Box::new(file)) } else { Ok(Box::new(Decoding::new(file, encoding))) }
}

/// A `Read` giving the UTF-8 for another encoding's bytes, failing on bytes that are not valid
/// in that encoding (Windows-1252 has none; UTF-16 has unpaired surrogates).
pub(super) struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    eof: bool,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    finished: bool,
    newlines: u64,
}

impl<R: Read> Decoding<R> {
    pub(super) fn new(inner: R, encoding: &'static Encoding) -> Self {
        Decoding {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            encoding,
            input: vec![0; BUFFER],
            in_start: 0,
            in_end: 0,
            eof: false,
            output: vec![0; BUFFER],
            out_start: 0,
            out_end: 0,
            finished: false,
            newlines: 0,
        }
    }

    /// Decodes more into `output` (which is drained); false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        loop {
            if self.finished {
                return Ok(false);
            }
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = self.inner.read(&mut self.input)?;
                self.eof = self.in_end == 0;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.in_start..self.in_end],
                &mut self.output,
                self.eof,
            );
            self.in_start += read;
            self.newlines += self.output[..written].iter().filter(|b| **b == b'\n').count() as u64;
            self.out_start = 0;
            self.out_end = written;
            match result {
                DecoderResult::Malformed(_, _) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        DecodeFailure { line: self.newlines + 1, encoding: self.encoding.name() },
                    ));
                }
                DecoderResult::InputEmpty if self.eof => self.finished = true,
                DecoderResult::InputEmpty | DecoderResult::OutputFull => {}
            }
            if written > 0 {
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_start == self.out_end && !self.fill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_windows_1252_and_utf16() {
        let mut out = String::new();
        Decoding::new(&b"a;\xe6\xf8\xe5\n"[..], encoding_rs::WINDOWS_1252).read_to_string(&mut out).unwrap();
        assert_eq!(out, "a;æøå\n");
        let utf16: Vec<u8> = "x,ø\n1,2\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut out = String::new();
        Decoding::new(&utf16[..], encoding_rs::UTF_16LE).read_to_string(&mut out).unwrap();
        assert_eq!(out, "x,ø\n1,2\n");
    }

    #[test]
    fn bad_utf16_names_the_line() {
        let mut bytes: Vec<u8> = "a\nb\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        bytes.extend([0x00, 0xD8, b'x', 0]); // an unpaired high surrogate
        let err = Decoding::new(&bytes[..], encoding_rs::UTF_16LE).read_to_end(&mut Vec::new()).unwrap_err();
        let failure = err.get_ref().unwrap().downcast_ref::<DecodeFailure>().unwrap();
        assert_eq!(failure.line, 3);
    }
}

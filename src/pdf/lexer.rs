//! Tokens of PDF content streams and CMaps: operands, then the operator that
//! consumes them.
//!
//! Contract: never panics and never loops on any input; every call to
//! [`Lexer::next_op`] advances or reports the end. Malformed tokens degrade to
//! [`Operand::Other`] (a content stream is best-effort by nature: viewers skip
//! what they cannot read, and so do we). Inline images (`BI … ID … EI`) are
//! skipped whole and reported as the operator `BI`.

/// One operand of a content-stream operator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Num(f32),
    Name(Vec<u8>),
    /// A literal or hex string, already unescaped.
    Str(Vec<u8>),
    Array(Vec<Operand>),
    /// Booleans, null, dictionaries and anything unreadable.
    Other,
}

impl Operand {
    pub(crate) fn num(&self) -> Option<f32> {
        match self {
            Operand::Num(n) => Some(*n),
            _ => None,
        }
    }
}

/// Arrays nested deeper than this are flattened into `Other`: real content
/// never nests arrays, hostile content might nest them a million deep.
const MAX_ARRAY_DEPTH: usize = 16;

pub(crate) struct Lexer<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Operands kept before an operator; more are dropped (oldest kept), so a
    /// stream of a million numbers without an operator stays bounded.
    max_operands: usize,
}

enum Tok<'a> {
    Operand(Operand),
    Keyword(&'a [u8]),
    ArrayStart,
    ArrayEnd,
    DictStart,
    DictEnd,
}

fn is_white(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(buf: &'a [u8], max_operands: usize) -> Self {
        Lexer {
            buf,
            pos: 0,
            max_operands,
        }
    }

    /// Reads operands into `operands` (cleared first) up to the next
    /// operator, and returns that operator; `None` at the end of input.
    pub(crate) fn next_op(&mut self, operands: &mut Vec<Operand>) -> Option<&'a [u8]> {
        operands.clear();
        loop {
            let tok = self.next_tok()?;
            match tok {
                Tok::Operand(o) => self.push(operands, o),
                Tok::ArrayStart => {
                    let arr = self.read_array(1);
                    self.push(operands, arr);
                }
                Tok::DictStart => {
                    self.skip_dict(1);
                    self.push(operands, Operand::Other);
                }
                Tok::ArrayEnd | Tok::DictEnd => {}
                Tok::Keyword(k) => match k {
                    b"true" | b"false" | b"null" => self.push(operands, Operand::Other),
                    b"BI" => {
                        self.skip_inline_image();
                        return Some(k);
                    }
                    _ => return Some(k),
                },
            }
        }
    }

    fn push(&self, operands: &mut Vec<Operand>, o: Operand) {
        if operands.len() < self.max_operands {
            operands.push(o);
        }
    }

    fn read_array(&mut self, depth: usize) -> Operand {
        let mut items = Vec::new();
        while let Some(tok) = self.next_tok() {
            match tok {
                Tok::ArrayEnd => break,
                Tok::ArrayStart if depth >= MAX_ARRAY_DEPTH => {
                    self.skip_nested(1);
                    items.push(Operand::Other);
                }
                Tok::ArrayStart => {
                    let inner = self.read_array(depth + 1);
                    if items.len() < self.max_operands.max(4096) {
                        items.push(inner);
                    }
                }
                Tok::DictStart => {
                    self.skip_dict(1);
                    items.push(Operand::Other);
                }
                Tok::Operand(o) => {
                    if items.len() < self.max_operands.max(4096) {
                        items.push(o);
                    }
                }
                Tok::DictEnd => {}
                // An operator inside an array means the array was never
                // closed; stop so that the operator is not swallowed forever.
                Tok::Keyword(_) => break,
            }
        }
        Operand::Array(items)
    }

    /// Skips the rest of an array nested too deep, without recursion.
    fn skip_nested(&mut self, mut depth: usize) {
        while depth > 0 {
            match self.next_tok() {
                None | Some(Tok::Keyword(_)) => return,
                Some(Tok::ArrayStart) => depth += 1,
                Some(Tok::ArrayEnd) => depth -= 1,
                Some(_) => {}
            }
        }
    }

    /// Skips a dictionary (iteratively, so nesting depth costs no stack).
    fn skip_dict(&mut self, mut depth: usize) {
        while depth > 0 {
            match self.next_tok() {
                None => return,
                Some(Tok::DictStart) => depth += 1,
                Some(Tok::DictEnd) => depth -= 1,
                Some(_) => {}
            }
        }
    }

    /// After `BI`: skip the image dictionary up to `ID`, then the binary data
    /// up to an `EI` that stands alone between white space.
    fn skip_inline_image(&mut self) {
        loop {
            match self.next_tok() {
                None => return,
                Some(Tok::Keyword(b"ID")) => break,
                Some(_) => {}
            }
        }
        // One white-space byte separates ID from the data.
        self.pos += 1;
        let buf = self.buf;
        let mut i = self.pos;
        while i + 1 < buf.len() {
            if buf[i] == b'E'
                && buf[i + 1] == b'I'
                && (i == 0 || is_white(buf[i - 1]))
                && (i + 2 >= buf.len() || is_white(buf[i + 2]) || is_delim(buf[i + 2]))
            {
                self.pos = i + 2;
                return;
            }
            i += 1;
        }
        self.pos = buf.len();
    }

    fn skip_white_and_comments(&mut self) {
        while self.pos < self.buf.len() {
            let b = self.buf[self.pos];
            if is_white(b) || b == b'{' || b == b'}' {
                self.pos += 1;
            } else if b == b'%' {
                while self.pos < self.buf.len() && !matches!(self.buf[self.pos], b'\n' | b'\r') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn next_tok(&mut self) -> Option<Tok<'a>> {
        self.skip_white_and_comments();
        let buf = self.buf;
        let b = *buf.get(self.pos)?;
        match b {
            b'(' => {
                self.pos += 1;
                Some(Tok::Operand(Operand::Str(self.literal_string())))
            }
            b'<' => {
                if buf.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    Some(Tok::DictStart)
                } else {
                    self.pos += 1;
                    Some(Tok::Operand(Operand::Str(self.hex_string())))
                }
            }
            b'>' => {
                self.pos += 1;
                if buf.get(self.pos) == Some(&b'>') {
                    self.pos += 1;
                }
                Some(Tok::DictEnd)
            }
            b'[' => {
                self.pos += 1;
                Some(Tok::ArrayStart)
            }
            b']' => {
                self.pos += 1;
                Some(Tok::ArrayEnd)
            }
            b')' => {
                // Stray closing paren: skip it.
                self.pos += 1;
                Some(Tok::Operand(Operand::Other))
            }
            b'/' => {
                self.pos += 1;
                Some(Tok::Operand(Operand::Name(self.name())))
            }
            _ => {
                let start = self.pos;
                while self.pos < buf.len() && !is_white(buf[self.pos]) && !is_delim(buf[self.pos]) {
                    self.pos += 1;
                }
                let word = &buf[start..self.pos];
                if matches!(word[0], b'0'..=b'9' | b'+' | b'-' | b'.') {
                    Some(Tok::Operand(Operand::Num(parse_number(word))))
                } else {
                    Some(Tok::Keyword(word))
                }
            }
        }
    }

    fn name(&mut self) -> Vec<u8> {
        let buf = self.buf;
        let mut out = Vec::new();
        while self.pos < buf.len() && !is_white(buf[self.pos]) && !is_delim(buf[self.pos]) {
            let b = buf[self.pos];
            if b == b'#' {
                if let (Some(h), Some(l)) = (
                    buf.get(self.pos + 1).and_then(|&c| hex_val(c)),
                    buf.get(self.pos + 2).and_then(|&c| hex_val(c)),
                ) {
                    out.push(h << 4 | l);
                    self.pos += 3;
                    continue;
                }
            }
            out.push(b);
            self.pos += 1;
        }
        out
    }

    fn hex_string(&mut self) -> Vec<u8> {
        let buf = self.buf;
        let mut out = Vec::new();
        let mut hi: Option<u8> = None;
        while self.pos < buf.len() {
            let b = buf[self.pos];
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if let Some(v) = hex_val(b) {
                match hi.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => hi = Some(v),
                }
            }
        }
        if let Some(h) = hi {
            out.push(h << 4);
        }
        out
    }

    fn literal_string(&mut self) -> Vec<u8> {
        let buf = self.buf;
        let mut out = Vec::new();
        let mut depth = 1usize;
        while self.pos < buf.len() {
            let b = buf[self.pos];
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(&e) = buf.get(self.pos) else { break };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match buf.get(self.pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        b'\r' => {
                            if buf.get(self.pos) == Some(&b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        out
    }
}

/// Lenient number parsing: producers write `-.5`, `5.`, even `--5`.
fn parse_number(word: &[u8]) -> f32 {
    let s = std::str::from_utf8(word).unwrap_or("0");
    if let Ok(v) = s.parse::<f32>() {
        return if v.is_finite() { v } else { 0.0 };
    }
    let trimmed = s.trim_start_matches(['+', '-']);
    let neg = s.starts_with('-');
    let digits: String = trimmed
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let v = digits.parse::<f32>().unwrap_or(0.0);
    let v = if neg { -v } else { v };
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(src: &[u8]) -> Vec<(String, Vec<Operand>)> {
        let mut lx = Lexer::new(src, 64);
        let mut operands = Vec::new();
        let mut out = Vec::new();
        while let Some(op) = lx.next_op(&mut operands) {
            out.push((String::from_utf8_lossy(op).into_owned(), operands.clone()));
        }
        out
    }

    #[test]
    fn strings_arrays_and_escapes() {
        let got = ops(b"BT /F1 12 Tf (a\\(b\\)\\101\\\nc) Tj [(x) -250 <4142>] TJ ET");
        assert_eq!(got[1].0, "Tf");
        assert_eq!(
            got[1].1,
            vec![Operand::Name(b"F1".to_vec()), Operand::Num(12.0)]
        );
        assert_eq!(got[2].1, vec![Operand::Str(b"a(b)Ac".to_vec())]);
        assert_eq!(
            got[3].1,
            vec![Operand::Array(vec![
                Operand::Str(b"x".to_vec()),
                Operand::Num(-250.0),
                Operand::Str(b"AB".to_vec())
            ])]
        );
    }

    #[test]
    fn inline_image_is_skipped() {
        let got = ops(b"q BI /W 2 /H 2 ID \x00EI\xffQ EI Q (t) Tj");
        let names: Vec<&str> = got.iter().map(|(o, _)| o.as_str()).collect();
        assert_eq!(names, vec!["q", "BI", "Q", "Tj"]);
    }

    #[test]
    fn deep_nesting_and_garbage_terminate() {
        let mut src = vec![b'['; 100_000];
        src.extend_from_slice(b"<<<<<< (unterminated");
        let _ = ops(&src);
        let _ = ops(b"--5 .5. ) > >> ] Tj");
    }
}

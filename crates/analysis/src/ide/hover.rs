//! Hover and signature help from the driver API table and the node model.

use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

use super::{ReceiverTy, ident_at, member_doc, members_of, receiver_before, receiver_ty, script_pos};
use crate::Analysis;
use crate::driver_api::{DriverApi, Generation, ParamKind};
use crate::nix::NodeKind;
use crate::source_map::FileId;

#[derive(Debug, Clone, Serialize)]
pub struct Hover {
    pub markdown: String,
    /// The hovered word, in the Nix file.
    pub range: TextRange,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignatureHelp {
    pub label: String,
    pub documentation: String,
    /// Parameter labels, as substrings of `label`.
    pub params: Vec<String>,
    pub active: usize,
}

pub fn hover(a: &Analysis, offset: TextSize, g: Generation) -> Option<Hover> {
    let pos = script_pos(a, offset)?;
    let (word, range) = ident_at(pos.text, pos.offset)?;
    let nix_range = pos.test.script.map.to_source(range).filter(|r| r.file == FileId::Nix)?.range;
    let markdown = if let Some(recv) = receiver_before(a, &pos, range.start().into()) {
        let ty = receiver_ty(a, pos.test, pos.index, recv, g)?;
        let member = members_of(&ty, g).iter().copied().find(|m| m.name == word)?;
        member_doc(member, g)
    } else if let Some(node) = pos.test.machine_named(word) {
        let (class, group) = (crate::python::ty::node_class(node.kind).python_name(g), node.kind.group());
        let alias = if word == "machine" && node.py_name != "machine" {
            "\n\nThe implicit alias of the only machine (deprecated): name it instead."
        } else {
            ""
        };
        format!(
            "```python\n{word}: {class}\n```\nThe {} defined in Nix as `{group}.{}`.{alias}",
            if node.kind == NodeKind::Vm { "VM" } else { "container" },
            node.name
        )
    } else if let Some(m) = DriverApi::get().global(word, g) {
        member_doc(m, g)
    } else if let Some(ReceiverTy::Object(_)) = receiver_ty(a, pos.test, pos.index, word, g) {
        format!("```python\n{word}: VLan\n```\nA virtual network of the test.")
    } else {
        return None;
    };
    Some(Hover { markdown, range: nix_range })
}

pub fn signature_help(a: &Analysis, offset: TextSize, g: Generation) -> Option<SignatureHelp> {
    let pos = script_pos(a, offset)?;
    let at = usize::from(pos.offset).min(pos.text.len());
    let (recv, method) = super::enclosing_call(a, &pos, at)?;
    let member = match recv {
        Some(r) => members_of(&receiver_ty(a, pos.test, pos.index, r, g)?, g).iter().copied().find(|m| m.name == method)?,
        None => DriverApi::get().global(method, g)?,
    };
    let open = pos.text[..at].rfind(&format!("{method}("))? + method.len() + 1;
    let mut depth = 0i32;
    let mut commas = 0usize;
    let mut keyword = None;
    for (i, b) in pos.text.as_bytes()[open..at].iter().enumerate() {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                commas += 1;
                keyword = None;
            }
            b'=' if depth == 0 => {
                let before = &pos.text[open..open + i];
                let name = before.rsplit([',', '(']).next().unwrap_or("").trim();
                keyword = Some(name.to_string());
            }
            _ => {}
        }
    }
    let params: Vec<String> = member
        .params
        .iter()
        .map(|p| {
            let star = match p.kind {
                ParamKind::VarArgs => "*",
                ParamKind::VarKeywords => "**",
                _ => "",
            };
            match &p.default {
                Some(d) => format!("{star}{}: {} = {d}", p.name, p.annotation),
                None => format!("{star}{}: {}", p.name, p.annotation),
            }
        })
        .collect();
    let active = match keyword {
        Some(k) => member.params.iter().position(|p| p.name == k).unwrap_or(commas),
        None => {
            let varargs = member.params.iter().position(|p| p.kind == ParamKind::VarArgs);
            varargs.map_or(commas, |v| commas.min(v))
        }
    };
    Some(SignatureHelp { label: format!("{}({})", member.name, params.join(", ")), documentation: member_doc(member, g), params, active })
}

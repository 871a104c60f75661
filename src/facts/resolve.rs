//! Working out string values of a template: literals, parameters (default
//! or `--parameter` override), pseudo parameters, `Fn::Sub`, `Fn::Join`,
//! `Fn::ImportValue` and `Ref` to a cluster of the same template. Anything
//! else stays unresolved, with the reason, and rules stay silent on it.

use std::collections::BTreeMap;

use crate::load::node::{Node, Value};

use super::Via;

/// What resolution found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Text {
        text: String,
        via: Via,
    },
    /// `Ref` to the cluster at this index of the template's clusters.
    Cluster {
        index: usize,
    },
    /// `Fn::ImportValue` of this export name.
    Import {
        export: String,
    },
    Unresolved {
        why: String,
    },
}

impl Resolution {
    fn unresolved(why: impl Into<String>) -> Self {
        Self::Unresolved { why: why.into() }
    }
}

/// What one template offers to resolution.
#[derive(Debug)]
pub struct Scope<'a> {
    pub stack_name: &'a str,
    pub parameters: Option<&'a Node>,
    pub overrides: &'a BTreeMap<String, String>,
    /// Logical ids of the template's `AWS::EKS::Cluster` resources, by index.
    pub clusters: Vec<&'a str>,
    /// The cluster names worked out so far, by the same index.
    pub cluster_names: Vec<Option<String>>,
}

impl Scope<'_> {
    /// Resolves `node` to a string.
    pub fn resolve(&self, node: &Node) -> Resolution {
        match &node.value {
            Value::String(s) | Value::Number(s) => Resolution::Text { text: s.clone(), via: Via::Literal },
            Value::Bool(b) => Resolution::Text { text: b.to_string(), via: Via::Literal },
            Value::Null => Resolution::unresolved("the value is null"),
            Value::Seq(_) => Resolution::unresolved("the value is a list"),
            Value::Map(_) => match node.intrinsic() {
                Some(("Ref", arg)) => self.reference(arg),
                Some(("Fn::Sub", arg)) => self.sub(arg),
                Some(("Fn::Join", arg)) => self.join(arg),
                Some(("Fn::ImportValue", arg)) => match self.resolve(arg) {
                    Resolution::Text { text, .. } => Resolution::Import { export: text },
                    _ => Resolution::unresolved("Fn::ImportValue of a value that cannot be worked out"),
                },
                Some((function, _)) => Resolution::unresolved(format!("uses {function}")),
                None => Resolution::unresolved("the value is a mapping"),
            },
        }
    }

    /// Resolves `node` to text, or `None`.
    pub fn text(&self, node: &Node) -> Option<String> {
        self.text_of(self.resolve(node))
    }

    fn text_of(&self, resolution: Resolution) -> Option<String> {
        match resolution {
            Resolution::Text { text, .. } => Some(text),
            Resolution::Cluster { index } => self.cluster_names.get(index).cloned().flatten(),
            _ => None,
        }
    }

    fn reference(&self, arg: &Node) -> Resolution {
        match arg.as_str() {
            Some(name) => self.reference_name(name),
            None => Resolution::unresolved("Ref to a value that is not a name"),
        }
    }

    fn reference_name(&self, name: &str) -> Resolution {
        if let Some(value) = self.parameter(name) {
            return value;
        }
        if name == "AWS::StackName" {
            return Resolution::Text { text: self.stack_name.to_owned(), via: Via::Computed };
        }
        if let Some(index) = self.clusters.iter().position(|id| *id == name) {
            return Resolution::Cluster { index };
        }
        if name.starts_with("AWS::") {
            return Resolution::unresolved(format!("Ref to the pseudo parameter {name}"));
        }
        Resolution::unresolved(format!("Ref to {name}, which is neither a parameter with a value nor a cluster"))
    }

    fn parameter(&self, name: &str) -> Option<Resolution> {
        let declared = self.parameters.and_then(|p| p.get(name));
        if let Some(value) = self.overrides.get(name).filter(|_| declared.is_some()) {
            let via = Via::Parameter { name: name.to_owned(), overridden: true };
            return Some(Resolution::Text { text: value.clone(), via });
        }
        let declared = declared?;
        let via = Via::Parameter { name: name.to_owned(), overridden: false };
        Some(match declared.get("Default").and_then(Node::scalar_text) {
            Some(text) => Resolution::Text { text: text.into_owned(), via },
            None => Resolution::unresolved(format!("parameter {name} has no Default (pass --parameter {name}=VALUE)")),
        })
    }

    fn sub(&self, arg: &Node) -> Resolution {
        let (template, vars) = match &arg.value {
            Value::String(s) => (s.as_str(), None),
            Value::Seq(items) => match items.as_slice() {
                [t, vars] => match t.as_str() {
                    Some(t) => (t, Some(vars)),
                    None => return Resolution::unresolved("Fn::Sub of a value that is not a string"),
                },
                _ => return Resolution::unresolved("malformed Fn::Sub"),
            },
            _ => return Resolution::unresolved("malformed Fn::Sub"),
        };
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Resolution::unresolved("malformed Fn::Sub");
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = match vars.and_then(|v| v.get(name)) {
                    Some(node) => self.text(node),
                    None => self.text_of(self.reference_name(name)),
                };
                match value {
                    Some(v) => out.push_str(&v),
                    None => {
                        return Resolution::unresolved(format!("Fn::Sub uses ${{{name}}}, which cannot be worked out"));
                    }
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        // Facts keep these (cluster names, export names) for the whole scan.
        out.shrink_to_fit();
        Resolution::Text { text: out, via: Via::Computed }
    }

    fn join(&self, arg: &Node) -> Resolution {
        let Some([delimiter, parts]) = arg.as_seq() else {
            return Resolution::unresolved("malformed Fn::Join");
        };
        let (Some(delimiter), Some(parts)) = (delimiter.as_str(), parts.as_seq()) else {
            return Resolution::unresolved("malformed Fn::Join");
        };
        let mut texts = Vec::with_capacity(parts.len());
        for part in parts {
            match self.text(part) {
                Some(t) => texts.push(t),
                None => return Resolution::unresolved("Fn::Join of a value that cannot be worked out"),
            }
        }
        Resolution::Text { text: texts.join(delimiter), via: Via::Computed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml_tree::parse_stream;

    fn doc(text: &str) -> Node {
        parse_stream(text).expect("yaml").remove(0)
    }

    #[test]
    fn resolves_parameters_overrides_and_pseudo_parameters() {
        let template = doc("Parameters:\n  Name: {Type: String, Default: demo}\n  Mode: {Type: String}\n\
             a: !Ref Name\nb: !Ref Mode\nc: !Sub '${AWS::StackName}::${Name}'\nd: !Join ['-', [x, !Ref Name]]\n\
             e: !ImportValue {'Fn::Sub': '${AWS::StackName}::ClusterName'}\nf: !Ref ControlPlane\ng: !If [C, a, b]\n");
        let overrides = BTreeMap::from([("Mode".to_owned(), "API".to_owned())]);
        let scope = Scope {
            stack_name: "s",
            parameters: template.get("Parameters"),
            overrides: &overrides,
            clusters: vec!["ControlPlane"],
            cluster_names: vec![Some("demo".to_owned())],
        };
        let get = |k: &str| scope.resolve(template.get(k).expect(k));
        assert_eq!(
            get("a"),
            Resolution::Text { text: "demo".into(), via: Via::Parameter { name: "Name".into(), overridden: false } }
        );
        assert_eq!(
            get("b"),
            Resolution::Text { text: "API".into(), via: Via::Parameter { name: "Mode".into(), overridden: true } }
        );
        assert_eq!(scope.text(template.get("c").expect("c")).as_deref(), Some("s::demo"));
        assert_eq!(scope.text(template.get("d").expect("d")).as_deref(), Some("x-demo"));
        assert_eq!(get("e"), Resolution::Import { export: "s::ClusterName".into() });
        assert_eq!(get("f"), Resolution::Cluster { index: 0 });
        assert!(matches!(get("g"), Resolution::Unresolved { why } if why == "uses Fn::If"));
    }

    #[test]
    fn overrides_apply_only_to_declared_parameters() {
        let template = doc("a: !Ref Undeclared\n");
        let overrides = BTreeMap::from([("Undeclared".to_owned(), "x".to_owned())]);
        let scope =
            Scope { stack_name: "s", parameters: None, overrides: &overrides, clusters: vec![], cluster_names: vec![] };
        assert!(matches!(scope.resolve(template.get("a").expect("a")), Resolution::Unresolved { .. }));
    }
}

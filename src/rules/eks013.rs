//! EKS013 template-rejected-by-cloudformation.

use crate::correlate::Model;

use super::{Rule, Severity, Sink, Violation};

/// This rule's registry entry.
pub(super) const RULE: Rule = Rule {
    id: "EKS013",
    name: "template-rejected-by-cloudformation",
    severity: Severity::Error,
    summary: "A template with EKS resources holds a condition or function CloudFormation cannot evaluate",
    doc: include_str!("../../rules/EKS013.md"),
    check,
};

pub(super) fn check(model: &Model, out: &mut Sink<'_>) {
    for stack in &model.stacks {
        for r in &stack.rejections {
            let why = r.why.strip_suffix(crate::evaluate::REJECTED).unwrap_or(&r.why);
            let command = format!("cfn-lint {}", crate::finding::shell_word(&r.location.path));
            out.push(Violation {
                message: format!(
                    "`{}`: {why}; CloudFormation rejects the template, so stack `{}` fails before any resource is \
                     created",
                    r.owner, stack.stack_name
                ),
                location: r.location.clone(),
                stack: Some(stack.stack_name.clone()),
                cluster: None,
                resource: Some(r.owner.clone()),
                related: Vec::new(),
                remediation: format!(
                    "Correct the condition or function at {}:{}:{} so that CloudFormation can evaluate it in every case the \
                     parameters allow; `{command}` reports the same kind of template error.",
                    r.location.path, r.location.line, r.location.column
                )
                .into(),
            });
        }
    }
}

use std::collections::BTreeMap;

use super::*;
use crate::load::yaml_tree::parse_stream;

fn doc(text: &str) -> Node {
    parse_stream(text).expect("yaml").remove(0)
}

fn inputs<'a>(template: &'a Node, overrides: &'a BTreeMap<String, String>) -> Inputs<'a> {
    Inputs {
        stack_name: "stack",
        parameters: template.get("Parameters"),
        conditions: template.get("Conditions"),
        mappings: template.get("Mappings"),
        overrides,
        language_extensions: template.get("Transform").is_some(),
        logical_ids: None,
    }
}

/// Every value under `Values`, as text in scenario 0 of an evaluator over
/// `Values`.
fn eval_all(text: &str, overrides: &[(&str, &str)]) -> BTreeMap<String, Result<String, Why>> {
    let template = doc(text);
    let overrides: BTreeMap<String, String> =
        overrides.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let values = template.get("Values").expect("Values");
    let ev = Evaluator::new(inputs(&template, &overrides), &[values]);
    values
        .as_map()
        .expect("map")
        .iter()
        .map(|e| {
            let v = ev.value(&e.value, 0).and_then(|v| match v {
                Val::Absent => Ok("<absent>".to_owned()),
                Val::Import(x) => Ok(format!("<import {x}>")),
                Val::List(_) | Val::Node(_) => {
                    let items = ev.items(v, e.value.pos, 0, 0)?;
                    let texts: Result<Vec<_>, _> = items.iter().map(|i| ev.text(i, e.value.pos, 0)).collect();
                    Ok(format!("[{}]", texts?.join("|")))
                }
                other => ev.text(&other, e.value.pos, 0),
            });
            (e.key.clone(), v)
        })
        .collect()
}

fn ok(map: &BTreeMap<String, Result<String, Why>>, key: &str) -> String {
    match map.get(key).expect(key) {
        Ok(v) => v.clone(),
        Err(e) => panic!("{key}: {e:?}"),
    }
}

fn invalid(map: &BTreeMap<String, Result<String, Why>>, key: &str) -> String {
    match map.get(key).expect(key) {
        Err(Why::Invalid(why)) => why.clone(),
        other => panic!("{key}: expected invalid, got {other:?}"),
    }
}

fn unknown(map: &BTreeMap<String, Result<String, Why>>, key: &str) -> String {
    match map.get(key).expect(key) {
        Err(Why::Unknown(why)) => why.clone(),
        other => panic!("{key}: expected unknown, got {other:?}"),
    }
}

#[test]
fn ref_reads_parameters_by_their_meaning() {
    let v = eval_all(
        "Parameters:
  Name: {Type: String, Default: demo}
  Over: {Type: String, Default: x}
  Bare: {Type: String}
  Ssm: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /eks/mode}
  Subnets: {Type: CommaDelimitedList, Default: 'a,b,c'}
  Secret: {Type: String, Default: s3cr3t, NoEcho: true}
Values:
  name: !Ref Name
  over: !Ref Over
  bare: !Ref Bare
  ssm: !Ref Ssm
  subnets: !Ref Subnets
  secret: !Ref Secret
  stack: !Ref AWS::StackName
  region: !Ref AWS::Region
  partition: !Ref AWS::Partition
  novalue: !Ref AWS::NoValue
  resource: !Ref SomeResource
  notpseudo: !Ref AWS::Nothing
  notaname: {Ref: [a]}
",
        &[("Over", "y"), ("AWS::Partition", "aws-cn")],
    );
    assert_eq!(ok(&v, "name"), "demo");
    assert_eq!(ok(&v, "over"), "y");
    assert!(unknown(&v, "bare").contains("--parameter Bare=VALUE"));
    assert!(unknown(&v, "ssm").contains("read from SSM parameter /eks/mode"), "{:?}", v["ssm"]);
    assert_eq!(ok(&v, "subnets"), "[a|b|c]");
    assert_eq!(ok(&v, "secret"), "s3cr3t");
    assert_eq!(ok(&v, "stack"), "stack");
    assert!(unknown(&v, "region").contains("AWS::Region"));
    assert_eq!(ok(&v, "partition"), "aws-cn");
    assert_eq!(ok(&v, "novalue"), "<absent>");
    assert!(unknown(&v, "resource").contains("SomeResource"));
    assert!(invalid(&v, "notpseudo").contains("not a pseudo parameter"));
    assert!(invalid(&v, "notaname").contains("Ref takes a name"));
}

#[test]
fn ref_to_a_name_that_is_nothing_is_rejected_when_every_id_is_known() {
    let template = doc("Values:\n  a: !Ref Missing\n  b: !Ref Known\n  c: !Sub '${Missing}-x'\n");
    let overrides = BTreeMap::new();
    let ids = vec!["Known".to_owned()];
    let ev = Evaluator::new(Inputs { logical_ids: Some(&ids), ..inputs(&template, &overrides) }, &[]);
    let get = |k: &str| ev.value(template.pointer(&format!("/Values/{k}")).expect(k), 0);
    assert!(matches!(get("a"), Err(Why::Invalid(w)) if w.contains("names no parameter or resource")));
    assert_eq!(get("b"), Ok(Val::Resource("Known".into())));
    assert!(matches!(get("c"), Err(Why::Invalid(w)) if w.contains("${Missing}, which names nothing")));
}

#[test]
fn sub_in_both_forms() {
    let v = eval_all(
        "Parameters:
  Env: {Type: String, Default: prod}
Values:
  short: !Sub '${AWS::StackName}-${Env}'
  vars: !Sub ['${A}/${Env}', {A: !Ref Env}]
  literal: !Sub '${!Literal}-${Env}'
  attr: !Sub '${Role.Arn}'
  notstring: !Sub [[a], {}]
  badshape: {'Fn::Sub': {a: b}}
",
        &[],
    );
    assert_eq!(ok(&v, "short"), "stack-prod");
    assert_eq!(ok(&v, "vars"), "prod/prod");
    assert_eq!(ok(&v, "literal"), "${Literal}-prod");
    assert!(unknown(&v, "attr").contains("Role.Arn"));
    assert!(invalid(&v, "notstring").contains("Fn::Sub"));
    assert!(invalid(&v, "badshape").contains("Fn::Sub"));
}

#[test]
fn join_select_split() {
    let v = eval_all(
        "Parameters:
  List: {Type: CommaDelimitedList, Default: 'x,y'}
Values:
  join: !Join ['-', [a, !Ref List, b]]
  joinlist: !Join ['+', !Ref List]
  joinbad: !Join ['-']
  joinmap: !Join ['-', {a: b}]
  select: !Select [1, [a, b, c]]
  selectparam: !Select ['0', !Ref List]
  selectrange: !Select [5, [a]]
  selectindex: !Select [x, [a]]
  split: !Split [',', 'a,b']
  splitjoin: !Join ['', !Split ['-', 'a-b-c']]
  splitbad: !Split [',']
",
        &[],
    );
    assert!(invalid(&v, "join").contains("a list where a string is expected"));
    assert_eq!(ok(&v, "joinlist"), "x+y");
    assert!(invalid(&v, "joinbad").contains("Fn::Join takes"));
    assert!(invalid(&v, "joinmap").contains("mapping where a list"));
    assert_eq!(ok(&v, "select"), "b");
    assert_eq!(ok(&v, "selectparam"), "x");
    assert!(invalid(&v, "selectrange").contains("out of range"));
    assert!(invalid(&v, "selectindex").contains("not a whole number"));
    assert_eq!(ok(&v, "split"), "[a|b]");
    assert_eq!(ok(&v, "splitjoin"), "abc");
    assert!(invalid(&v, "splitbad").contains("Fn::Split takes"));
}

#[test]
fn find_in_map_with_and_without_default_value() {
    let text = "Parameters:
  Env: {Type: String, Default: prod}
Mappings:
  Modes:
    prod: {Mode: API}
    dev: {Mode: CONFIG_MAP, List: [a, b]}
Values:
  found: !FindInMap [Modes, !Ref Env, Mode]
  list: !FindInMap [Modes, dev, List]
  nomap: !FindInMap [Nope, prod, Mode]
  notop: !FindInMap [Modes, test, Mode]
  nosecond: !FindInMap [Modes, prod, Other]
  arity: !FindInMap [Modes, prod]
  default: !FindInMap [Modes, test, Mode, {DefaultValue: API_AND_CONFIG_MAP}]
";
    let v = eval_all(text, &[]);
    assert_eq!(ok(&v, "found"), "API");
    assert_eq!(ok(&v, "list"), "[a|b]");
    assert!(invalid(&v, "nomap").contains("Mappings lacks"));
    assert!(invalid(&v, "notop").contains("has no key test"));
    assert!(invalid(&v, "nosecond").contains("has no key Other under prod"));
    assert!(invalid(&v, "arity").contains("Fn::FindInMap takes"));
    // DefaultValue needs the LanguageExtensions transform.
    assert!(invalid(&v, "default").contains("Fn::FindInMap takes"));
    let v = eval_all(&format!("Transform: AWS::LanguageExtensions\n{text}"), &[]);
    assert_eq!(ok(&v, "default"), "API_AND_CONFIG_MAP");
    assert_eq!(eval_all(text, &[("Env", "dev")])["found"], Ok("CONFIG_MAP".into()));
}

#[test]
fn if_picks_a_branch_and_no_value_removes_the_key() {
    let v = eval_all(
        "Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Values:
  pick: !If [IsProd, API, CONFIG_MAP]
  novalue: !If [IsProd, !Ref AWS::NoValue, x]
  arity: !If [IsProd, API]
  unknowncond: !If [Nope, a, b]
  notname: !If [[IsProd], a, b]
",
        &[],
    );
    assert_eq!(ok(&v, "pick"), "API");
    assert_eq!(ok(&v, "novalue"), "<absent>");
    assert!(invalid(&v, "arity").contains("not 2 argument(s)"));
    assert!(invalid(&v, "unknowncond").contains("condition Nope is not defined"));
    assert!(invalid(&v, "notname").contains("needs a condition name"));
}

#[test]
fn import_value_and_functions_known_only_after_deployment() {
    let v = eval_all(
        "Values:
  import: !ImportValue {'Fn::Sub': '${AWS::StackName}::ClusterName'}
  importunknown: !ImportValue {'Fn::GetAtt': [A, B]}
  getatt: !GetAtt Role.Arn
  base64: !Base64 abc
  azs: !GetAZs ''
  cidr: !Cidr [10.0.0.0/16, 2, 8]
  length: {'Fn::Length': [a, b]}
  equals: !Equals [a, a]
",
        &[],
    );
    assert_eq!(ok(&v, "import"), "<import stack::ClusterName>");
    assert!(unknown(&v, "importunknown").contains("Fn::ImportValue"));
    assert!(unknown(&v, "getatt").contains("Role.Arn"));
    assert!(unknown(&v, "base64").contains("Fn::Base64"));
    assert!(unknown(&v, "azs").contains("Fn::GetAZs"));
    assert!(unknown(&v, "cidr").contains("Fn::Cidr"));
    assert!(invalid(&v, "length").contains("AWS::LanguageExtensions"));
    assert!(invalid(&v, "equals").contains("belongs in Conditions"));
}

#[test]
fn length_and_to_json_string_under_language_extensions() {
    let v = eval_all(
        "Transform: AWS::LanguageExtensions
Parameters:
  List: {Type: CommaDelimitedList, Default: 'a,b,c'}
Values:
  length: {'Fn::Length': !Ref List}
  lengthbad: {'Fn::Length': abc}
  json: {'Fn::ToJsonString': {k: [x, !Ref AWS::StackName], n: !Ref AWS::NoValue}}
",
        &[],
    );
    assert_eq!(ok(&v, "length"), "3");
    assert!(invalid(&v, "lengthbad").contains("string where a list"));
    assert_eq!(ok(&v, "json"), r#"{"k":["x","stack"]}"#);
}

#[test]
fn condition_functions_good_and_bad() {
    let template = doc("Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Equals [dev, !Ref Env]
  Both: !And [!Condition IsProd, !Not [!Condition IsDev]]
  Either: !Or [!Condition IsDev, !Equals [a, b]]
  NotProd: !Not [!Condition IsProd]
  Lists: !Equals [[a, b], !Split [',', 'a,b']]
  EqualsArity: !Equals [a]
  AndArity: !And [!Condition IsProd]
  NotArity: !Not [!Condition IsProd, !Condition IsDev]
  Missing: !Condition Nope
  CycleA: !Condition CycleB
  CycleB: !Not [!Condition CycleA]
  Literal: true
  Bad: abc
  IfInside: !If [IsProd, a, b]
");
    let overrides = BTreeMap::new();
    let ev = Evaluator::new(inputs(&template, &overrides), &[]);
    let c = |name: &str| ev.condition(name, 0, 0);
    assert_eq!(c("IsProd"), Ok(true));
    assert_eq!(c("IsDev"), Ok(false));
    assert_eq!(c("Both"), Ok(true));
    assert_eq!(c("Either"), Ok(false));
    assert_eq!(c("NotProd"), Ok(false));
    assert_eq!(c("Lists"), Ok(true));
    assert_eq!(c("Literal"), Ok(true));
    for (name, says) in [
        ("EqualsArity", "exactly two values"),
        ("AndArity", "2 to 10 conditions"),
        ("NotArity", "exactly one condition"),
        ("Missing", "condition Nope is not defined"),
        ("CycleA", "depends on itself"),
        ("Bad", "a condition must be"),
        ("IfInside", "Fn::If cannot decide a condition"),
    ] {
        assert!(matches!(c(name), Err(Why::Invalid(w)) if w.contains(says)), "{name}: {:?}", c(name));
    }
}

#[test]
fn allowed_values_and_unknown_conditions_make_scenarios() {
    let template = doc("Parameters:
  Mode: {Type: String, AllowedValues: [API, CONFIG_MAP]}
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  InUsEast: !Equals [!Ref AWS::Region, us-east-1]
  ProdNotUsEast: !And [!Condition IsProd, !Not [!Condition InUsEast]]
Values:
  mode: !Ref Mode
  when: !If [ProdNotUsEast, a, b]
");
    let overrides = BTreeMap::new();
    let values = template.get("Values").expect("values");
    let ev = Evaluator::new(inputs(&template, &overrides), &[values]);
    // Mode: 2 values; IsProd and InUsEast are unknown: 2 x 2 x 2.
    assert_eq!(ev.scenarios().len(), 8, "{:?}", ev.scenarios());
    let labels = ev.labels(ev.all());
    assert!(
        labels.contains(&"Mode=API, condition InUsEast is false, condition IsProd is true".to_owned()),
        "{labels:?}"
    );
    let mode = ev.string(values.get("mode").expect("mode"), ev.all());
    let Three::OneOf(candidates) = mode else { panic!("{mode:?}") };
    assert_eq!(candidates.len(), 2);
    assert_eq!(candidates[0].1.count_ones(), 4);
    // ProdNotUsEast is derived from the two free conditions, not free itself.
    let when = ev.string(values.get("when").expect("when"), ev.all());
    let Three::OneOf(candidates) = when else { panic!("{when:?}") };
    assert_eq!(candidates.iter().find(|(v, _)| v == "a").map(|(_, m)| m.count_ones()), Some(2));
    // An override fixes the parameter: fewer scenarios.
    let overrides = BTreeMap::from([("Mode".to_owned(), "API".to_owned())]);
    assert_eq!(Evaluator::new(inputs(&template, &overrides), &[values]).scenarios().len(), 4);
}

#[test]
fn scenarios_are_bounded() {
    let mut text = String::from("Parameters:\n");
    for i in 0..8 {
        text.push_str(&format!("  P{i}: {{Type: String, AllowedValues: [a, b]}}\n"));
    }
    text.push_str("Values:\n  v: !Join ['', [");
    text.push_str(&(0..8).map(|i| format!("!Ref P{i}")).collect::<Vec<_>>().join(", "));
    text.push_str("]]\n");
    let template = doc(&text);
    let overrides = BTreeMap::new();
    let values = template.get("Values").expect("values");
    let ev = Evaluator::new(inputs(&template, &overrides), &[values]);
    assert_eq!(ev.scenarios().len(), 1);
    assert!(ev.bounded.as_deref().is_some_and(|b| b.contains("more than 64")));
    let v = ev.string(values.get("v").expect("v"), ev.all());
    assert!(matches!(&v, Three::Unknown(w) if w.contains("more than 64")), "{v:?}");
}

#[test]
fn deep_ifs_and_condition_dags_do_not_blow_up() {
    // 60 nested Fn::If and a chain of 60 conditions each naming the one
    // before twice: 2^60 evaluations without memoisation.
    let mut value = "x".to_owned();
    for _ in 0..60 {
        value = format!("{{'Fn::If': [C59, {value}, y]}}");
    }
    let mut text = String::from("Conditions:\n  C0: !Equals [a, a]\n");
    for i in 1..60 {
        text.push_str(&format!("  C{i}: !And [!Condition C{}, !Not [!Not [!Condition C{}]]]\n", i - 1, i - 1));
    }
    text.push_str(&format!("Values:\n  v: {value}\n"));
    let v = eval_all(&text, &[]);
    assert_eq!(ok(&v, "v"), "x");
    // Past the depth bound: an answer, not a crash.
    use crate::load::node::Entry;
    let at = Pos::default();
    let mut deep = Node::new(at, Value::String("x".into()));
    for _ in 0..(MAX_DEPTH + 10) {
        let zero = Node::new(at, Value::Number("0".into()));
        let args = Node::new(at, Value::Seq(vec![zero, Node::new(at, Value::Seq(vec![deep]))]));
        deep = Node::new(at, Value::Map(vec![Entry { key: "Fn::Select".into(), key_pos: at, value: args }]));
    }
    let overrides = BTreeMap::new();
    let empty = doc("{}");
    let ev = Evaluator::new(inputs(&empty, &overrides), &[]);
    assert!(matches!(ev.value(&deep, 0), Err(Why::Invalid(w)) if w.contains("nested deeper")));
}

#[test]
fn for_each_expands_with_identifiers_nested_loops_and_parameters() {
    let template = doc("Transform: AWS::LanguageExtensions
Parameters:
  Teams: {Type: CommaDelimitedList, Default: 'red,blue-2'}
Resources:
  'Fn::ForEach::Teams':
    - Team
    - !Ref Teams
    - 'Entry&{Team}':
        Type: AWS::EKS::AccessEntry
        Properties:
          ClusterName: demo
          PrincipalArn: !Sub 'arn:aws:iam::1:role/${Team}'
          Username: !Ref Team
      'Fn::ForEach::Envs':
        - Env
        - [a, b]
        - '${Team}${Env}Entry':
            Type: AWS::EKS::AccessEntry
            Properties: {ClusterName: !Sub '${Env}'}
  'Fn::ForEach::Bad':
    - X
    - notalist
    - {'E${X}': {Type: AWS::EKS::AccessEntry}}
");
    let overrides = BTreeMap::new();
    let resources = template.get("Resources").expect("resources");
    let loops: Vec<(String, Pos, Node)> =
        resources.as_map().expect("map").iter().map(|e| (e.key.clone(), e.key_pos, e.value.clone())).collect();
    let ev = Evaluator::new(inputs(&template, &overrides), &[resources]);
    let (made, problems) = foreach::expand(&ev, &loops, &["Resources"]);
    let ids: Vec<&str> = made.iter().map(|g| g.logical_id.as_str()).collect();
    assert_eq!(ids, ["Entryred", "redaEntry", "redbEntry", "Entryblue2", "blue-2aEntry", "blue-2bEntry"]);
    assert_eq!(made[0].resource_type, "AWS::EKS::AccessEntry");
    assert_eq!(
        made[3].node.pointer("/Properties/PrincipalArn/Fn::Sub").and_then(Node::as_str),
        Some("arn:aws:iam::1:role/blue-2")
    );
    assert_eq!(made[3].node.pointer("/Properties/Username").and_then(Node::as_str), Some("blue-2"));
    assert_eq!(made[0].tokens, ["Resources", "Fn::ForEach::Teams", "2", "Entry&{Team}"]);
    assert_eq!(made[0].key_pos, loops[0].1);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].why.contains("loops over something that is not a list"), "{}", problems[0].why);
    // Without the transform CloudFormation rejects the loop.
    let plain = Evaluator::new(Inputs { language_extensions: false, ..inputs(&template, &overrides) }, &[]);
    let (made, problems) = foreach::expand(&plain, &loops, &["Resources"]);
    assert!(made.is_empty());
    assert!(problems[0].why.contains("needs `Transform: AWS::LanguageExtensions`"));
}

#[test]
fn for_each_work_is_bounded() {
    let items: Vec<String> = (0..300).map(|i| format!("i{i}")).collect();
    let list = items.join(",");
    let template = doc(&format!(
        "Transform: AWS::LanguageExtensions
Parameters:
  L: {{Type: CommaDelimitedList, Default: '{list}'}}
Resources:
  'Fn::ForEach::A':
    - X
    - !Ref L
    - 'Fn::ForEach::B${{X}}':
        - Y
        - !Ref L
        - 'E${{X}}${{Y}}': {{Type: AWS::EKS::AccessEntry}}
"
    ));
    let overrides = BTreeMap::new();
    let resources = template.get("Resources").expect("resources");
    let loops: Vec<(String, Pos, Node)> =
        resources.as_map().expect("map").iter().map(|e| (e.key.clone(), e.key_pos, e.value.clone())).collect();
    let ev = Evaluator::new(inputs(&template, &overrides), &[resources]);
    let (made, problems) = foreach::expand(&ev, &loops, &["Resources"]);
    assert!(made.len() <= foreach::MAX_GENERATED);
    assert!(problems[0].why.contains("more than"), "{}", problems[0].why);
}

#!/bin/sh
# tests/e2e/event_types.sh - a trigger's name typed by the connectors file's event types
# (RUNTIME.md v1.2, "Event types"): `huddle check --connectors` and `huddle deploy`
# refuse an unknown field (with a suggestion) and a type error, warn of an optional
# field read without ??, and leave untyped event types and files without events alone.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
cat > "$tmp/conn.json" <<'JSON'
{"radian6": {"kind": "webhook", "events": {"spike": {"product": "string", "mentions": "integer",
  "region": "string?", "geo": {"country": "string", "city": "string?"}, "extra": "any"}}}}
JSON
write() { # write NAME TRIGGER-CLAUSES QUESTION
  cat > "$tmp/$1.play" <<PLAY
playbook $1

on radian6.$2 as alert
  $3

state decide {
  ask person("pat") "$4"
      choices ok
      within 1h
  {
    ok      -> done "ok"
    timeout -> done "late"
  }
}
PLAY
}
write good spike 'when alert.mentions >= 50' '{alert.product} in {alert.geo.country} {alert.region ?? "?"} {alert.geo.city ?? ""} {alert.extra}'
expect "typed fields used as their types check clean" 0 "$h" check "$tmp/good.play" --connectors "$tmp/conn.json"
if [ -s "$tmp/out" ]; then no "with no diagnostic"; else ok "with no diagnostic"; fi
write unknown spike 'when alert.mentons >= 50' '{alert.product}'
expect "an unknown field is an error" 1 "$h" check "$tmp/unknown.play" --connectors "$tmp/conn.json"
has "naming the event type and field" "error: radian6.spike events have no field 'mentons'"
has "with a suggestion" "did you mean 'mentions'?"
write nested spike 'when alert.mentions >= 50' '{alert.geo.cty}'
expect "an unknown nested field is an error" 1 "$h" check "$tmp/nested.play" --connectors "$tmp/conn.json"
has "with its path and a suggestion" "no field 'geo.cty'"
has "the suggestion" "did you mean 'city'?"
write wrongtype spike 'when alert.product > 50' '{alert.product}'
expect "a string used as a number is an error" 1 "$h" check "$tmp/wrongtype.play" --connectors "$tmp/conn.json"
has "said as the checker says it" "error: "
write optional spike 'when alert.mentions >= 50' '{alert.region}'
expect "an optional field without ?? is a warning (exit 0)" 0 "$h" check "$tmp/optional.play" --connectors "$tmp/conn.json"
has "naming the field and its type" "warning: 'region' is optional in radian6.spike events (string?)"
has "with the fix" "give a default with ??"
write scalar spike 'when alert.mentions.count >= 50' '{alert.product}'
expect "a field of a scalar field is an error" 1 "$h" check "$tmp/scalar.play" --connectors "$tmp/conn.json"
has "named" "no field 'mentions.count'"
write untyped other 'when alert.anything > 1' '{alert.whatever}'
expect "an event type not listed is untyped" 0 "$h" check "$tmp/untyped.play" --connectors "$tmp/conn.json"
expect "without --connectors nothing is typed" 0 "$h" check "$tmp/unknown.play"
expect "deploy refuses the same" 1 "$h" deploy "$tmp/unknown.play" --db "$tmp/db" --connectors "$tmp/conn.json"
has "with the same error" "radian6.spike events have no field 'mentons'"
expect "and deploys a playbook that fits" 0 "$h" deploy "$tmp/good.play" --db "$tmp/db" --connectors "$tmp/conn.json"
expect "a later deploy checks against the kept connectors" 1 "$h" deploy "$tmp/unknown.play" --db "$tmp/db"
# ---- triggers that share a NAME (LANGUAGE.md: "Triggers may share a NAME") ----
# A name one untyped trigger shares may hold any field; a name only typed triggers share
# must name a field one of them has. The first trigger's type alone used to decide.
cat > "$tmp/shop.json" <<'JSON'
{"shop": {"kind": "webhook", "events": {"order": {"product": "string", "qty": "integer"},
                                        "refund": {"amount": "integer", "product": "string"}}}}
JSON
shared() { # shared NAME TYPE1 TYPE2 NOTE-EXPRESSION
  printf 'playbook %s\non shop.%s as o\non shop.%s as o\nstate s { note "{%s}" done "ok" }\n' \
    "$1" "$2" "$3" "$4" > "$tmp/$1.play"
}
shared t4 order other 'o.produt ?? 1'
expect "a name a typed and an untyped trigger share is untyped" 0 "$h" check "$tmp/t4.play" --connectors "$tmp/shop.json"
if [ -s "$tmp/out" ]; then no "  with no diagnostic"; else ok "  with no diagnostic"; fi
shared t4b other order 'o.produt ?? 1'
expect "  whichever trigger comes first" 0 "$h" check "$tmp/t4b.play" --connectors "$tmp/shop.json"
shared t5 order refund 'o.produt ?? 1'
expect "a field no typed trigger of the name has is an error" 1 "$h" check "$tmp/t5.play" --connectors "$tmp/shop.json"
has "  naming every event type" "error: shop.order and shop.refund events have no field 'produt'"
has "  with a suggestion" "did you mean 'product'?"
shared t6 order refund 'o.amont ?? 1'
expect "  the suggestion comes from any of them" 1 "$h" check "$tmp/t6.play" --connectors "$tmp/shop.json"
has "  (refund's amount)" "did you mean 'amount'?"
shared t7 order refund 'o.amount ?? 0'
expect "a field only the second typed trigger has checks clean" 0 "$h" check "$tmp/t7.play" --connectors "$tmp/shop.json"
if [ -s "$tmp/out" ]; then no "  with no diagnostic"; else ok "  with no diagnostic"; fi
shared t8 order refund 'o.amount'
expect "  read without ?? it is a warning (null in the other's events)" 0 "$h" check "$tmp/t8.play" --connectors "$tmp/shop.json"
has "  naming the type that lacks it" "warning: 'amount' is not in shop.order events: it is null there"
shared t9 order refund 'o.product + 1'
expect "  a field both have keeps its type" 1 "$h" check "$tmp/t9.play" --connectors "$tmp/shop.json"
has "  (a string used as a number)" "can't add a string and an integer"
# ---- below a field whose keys are not described ----
# A `map` with no nested object, and `any` (optional or not), hold keys the file does not
# describe: `.` reads below them are untyped, as `[..]` reads are (they were refused:
# "shop.order events have no field 'customer.name'"). A nested object's fields are checked.
cat > "$tmp/open.json" <<'JSON'
{"shop": {"kind": "webhook", "events": {"order": {"id": "string", "customer": "map", "maybe": "map?",
  "extra": "any", "o": "any?", "nested": {"inner": "any", "deep": {"leaf": "string"}}}}}}
JSON
opened() { # opened NAME NOTE-EXPRESSION
  printf 'playbook %s\non shop.order as o\nstate s { note "{%s}" done "ok" }\n' "$1" "$2" > "$tmp/$1.play"
}
opened u1 'o.customer.name} {o.extra.channel} {o.o.y ?? 1} {o.nested.inner.deep} {o.maybe.x ?? 0'
expect "reads below map, any, any? and map? are untyped" 0 "$h" check "$tmp/u1.play" --connectors "$tmp/open.json"
if [ -s "$tmp/out" ]; then no "  with no diagnostic"; else ok "  with no diagnostic"; fi
opened u2 'o.customer.name.first + 1} {o.extra.a.b.c * 2'
expect "  any depth, of any type" 0 "$h" check "$tmp/u2.play" --connectors "$tmp/open.json"
expect "  deploy takes them too" 0 "$h" deploy "$tmp/u1.play" --db "$tmp/db2" --connectors "$tmp/open.json"
opened u3 'o.nested.innr'
expect "an unknown field of a nested object is still an error" 1 "$h" check "$tmp/u3.play" --connectors "$tmp/open.json"
has "  naming its path" "error: shop.order events have no field 'nested.innr'"
has "  with a suggestion" "did you mean 'inner'?"
opened u4 'o.nested.deep.lef ?? 1'
expect "  at any depth" 1 "$h" check "$tmp/u4.play" --connectors "$tmp/open.json"
has "  naming its path" "no field 'nested.deep.lef'"
opened u5 'o.nested.deep.leaf + 1'
expect "  and its fields keep their types" 1 "$h" check "$tmp/u5.play" --connectors "$tmp/open.json"
has "  (a string used as a number)" "can't add a string and an integer"
opened u6 'o.custmer.name'
expect "an unknown field at the top is still an error" 1 "$h" check "$tmp/u6.play" --connectors "$tmp/open.json"
has "  with a suggestion" "did you mean 'customer'?"
plan

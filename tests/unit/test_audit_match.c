/*
 * test_audit_match.c - which decisions a search's people filters keep
 * (audit_decision_matches, runtime/engine/engine_audit_search.c; docs/audit.md,
 * `huddle audit search`):
 *
 *   person     everyone who took part: held a seat, answered, was away as it was asked
 *              (handed_from) or acted on it as an operator (operators); nobody else
 *   roles      --asked, --held and --answered keep their narrower meaning: an operator
 *              or someone away held no seat and answered nothing
 *   older      a decision folded without the two lists (as the JSON of an older huddle
 *              would be) still matches on held and answers
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_internal.h"

/* t2 of tests/audit/make_store.sh, with an away holder as it was asked: anna away (lars
   asked in her place), craig escalated to and answering, olga reassigning ming's seat
   to pete, and carl deciding it by an override after all. */
static json_t *decision(void)
{
    json_t *d = json_loads("{\"task\": \"t2\", \"asked\": [\"lars\", \"ming\"],"
                           " \"held\": [\"lars\", \"ming\", \"craig\", \"pete\"],"
                           " \"handed_from\": [\"anna\"], \"operators\": [\"olga\", \"carl\"],"
                           " \"answers\": [{\"by\": \"craig\", \"choice\": \"no\"}],"
                           " \"choice\": \"no\", \"by\": \"carl\", \"asked_at\": \"2026-06-15T07:00:00Z\"}",
                           0, NULL);
    assert_non_null(d);
    return d;
}

static bool keeps(const json_t *d, const char *filter_name, const char *person)
{
    json_t *filter = json_pack("{s:s}", filter_name, person);
    assert_non_null(filter);
    bool kept = audit_decision_matches(d, filter);
    json_decref(filter);
    return kept;
}

static void test_person_is_everyone_who_took_part(void **state)
{
    (void)state;
    json_t *d = decision();
    static const char *const IN[] = {"lars", "ming", "craig", "pete", "anna", "olga", "carl"};
    for (size_t i = 0; i < sizeof IN / sizeof IN[0]; i++)
        assert_true(keeps(d, "person", IN[i]));
    assert_false(keeps(d, "person", "nobody"));
    assert_false(keeps(d, "person", "ann"));        /* a whole name, not a part of one */
    json_decref(d);
}

static void test_roles_keep_their_meaning(void **state)
{
    (void)state;
    json_t *d = decision();
    assert_true(keeps(d, "asked", "lars"));
    assert_false(keeps(d, "asked", "anna"));        /* away: her seat went to lars */
    assert_false(keeps(d, "held", "anna"));
    assert_false(keeps(d, "held", "olga"));         /* an operator holds no seat */
    assert_true(keeps(d, "held", "pete"));
    assert_true(keeps(d, "answered", "craig"));
    assert_false(keeps(d, "answered", "carl"));     /* an override is not an answer */
    json_decref(d);
}

static void test_older_decisions_without_the_lists(void **state)
{
    (void)state;
    json_t *d = decision();
    json_object_del(d, "handed_from");
    json_object_del(d, "operators");
    assert_true(keeps(d, "person", "ming"));
    assert_true(keeps(d, "person", "craig"));
    assert_false(keeps(d, "person", "anna"));
    assert_false(keeps(d, "person", "olga"));
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_person_is_everyone_who_took_part),
        cmocka_unit_test(test_roles_keep_their_meaning),
        cmocka_unit_test(test_older_decisions_without_the_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

# Prints "PASS FAIL SKIP" from node's TAP summary (unindented "# pass N", "# fail N",
# "# cancelled N", "# skipped N", "# todo N"); "0 1 0" when there is none (the run broke).
/^# pass [0-9]+$/           { pass = $3; seen = 1 }
/^# fail [0-9]+$/           { fail += $3 }
/^# cancelled [0-9]+$/      { fail += $3 }
/^# (skipped|todo) [0-9]+$/ { skip += $3 }
END { if (!seen) print 0, 1, 0; else print pass + 0, fail + 0, skip + 0 }

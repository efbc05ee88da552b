# The README shows real output: fail when its copy of a golden case's stdout is stale.
# Inputs: README, GOLDEN (a golden stdout file).
file(READ "${README}" readme)
file(READ "${GOLDEN}" golden)
string(FIND "${readme}" "${golden}" at)
if(at EQUAL -1)
    message(FATAL_ERROR "README.md does not contain the current ${GOLDEN}; paste it again")
endif()

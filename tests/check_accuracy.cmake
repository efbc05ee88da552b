# Regenerates the accuracy report and fails when docs/accuracy.md differs from it.
execute_process(COMMAND "${GENERATOR}" "${SOURCE_DIR}" OUTPUT_FILE "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "vramplan_accuracy failed (${rc})")
endif()
execute_process(COMMAND diff -u "${SOURCE_DIR}/docs/accuracy.md" "${OUT}" OUTPUT_VARIABLE diff
                RESULT_VARIABLE differs)
if(NOT differs EQUAL 0)
    message(FATAL_ERROR "docs/accuracy.md is stale; regenerate it with\n"
                        "  build/tests/vramplan_accuracy . > docs/accuracy.md\n${diff}")
endif()

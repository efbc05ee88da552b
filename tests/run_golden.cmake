# Runs one golden case (docs/testing.md).
# Inputs: VRAMPLAN, FAKE_SERVER, CASE_DIR, DATA_DIR, WORK_DIR.
#   cmd        one argument per line (after `vramplan`)
#   setup      optional; each line one vramplan invocation, arguments separated by spaces, or
#              after `sh: ` a shell command (to copy fixtures into @WORK@)
#   stdout     the exact expected standard output
#   exit_code  the expected exit code
#   stderr     optional; each line a text that standard error must contain
#   env        optional; KEY=VALUE lines set for setup and cmd (placeholders expanded, and
#              @TOOLS@ is tests/tools, @PATH@ the PATH ctest runs with: PATH=@TOOLS@:@PATH@
#              puts the fake nvidia-smi first)
#   server     optional; arguments for tests/tools/fake_llama_server (an OpenAI-compatible test
#              server), started before the command on a free loopback port (@PORT@) and stopped
#              after it
#   mask       optional; each line a regular expression (CMake syntax) whose matches in stdout
#              print as `~`, or `REGEX => REPLACEMENT` (\1 for a group): figures that change
#              from run to run (timings)
# Placeholders in cmd and setup: @WORK@ (a fresh folder per case), @DATA@ (the source tree),
# @CASE@ (the case folder), @PORT@ (the test server's port), @VRAMPLAN@ (the program, for `sh:`
# lines that pipe its output). In output, the work folder prints as @WORK@, the source tree as
# @DATA@ and the test server's port as @PORT@. The command runs in the source tree, so relative
# paths (examples/p2/...) work and print as written. VRAMPLAN_UPDATE_GOLDEN=1 rewrites stdout
# and exit_code; review the diff.

cmake_minimum_required(VERSION 3.25) # new policies: @VRAMPLAN@ is text, not a variable

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(ENV{VRAMPLAN_DATA_DIR} "${DATA_DIR}")
set(ENV{NO_COLOR} "1")
# A user's own GPU overrides (~/.config/vramplan) must not change what the cases print.
set(ENV{XDG_CONFIG_HOME} "${WORK_DIR}/config")

function(expand out text)
    string(REPLACE "@WORK@" "${WORK_DIR}" text "${text}")
    string(REPLACE "@DATA@" "${DATA_DIR}" text "${text}")
    string(REPLACE "@CASE@" "${CASE_DIR}" text "${text}")
    string(REPLACE "@TOOLS@" "${DATA_DIR}/tests/tools" text "${text}")
    string(REPLACE "@PATH@" "$ENV{PATH}" text "${text}")
    string(REPLACE "@PORT@" "${port}" text "${text}")
    string(REPLACE "@VRAMPLAN@" "${VRAMPLAN}" text "${text}")
    set(${out} "${text}" PARENT_SCOPE)
endfunction()

if(EXISTS "${CASE_DIR}/env")
    file(STRINGS "${CASE_DIR}/env" env_lines)
    foreach(line IN LISTS env_lines)
        expand(line "${line}")
        string(FIND "${line}" "=" eq)
        string(SUBSTRING "${line}" 0 ${eq} key)
        math(EXPR value_at "${eq} + 1")
        string(SUBSTRING "${line}" ${value_at} -1 value)
        set(ENV{${key}} "${value}")
    endforeach()
endif()

set(server_pid "")
if(EXISTS "${CASE_DIR}/server")
    file(READ "${CASE_DIR}/server" server_args)
    string(STRIP "${server_args}" server_args)
    # In the background, output discarded; it writes its port once it listens.
    execute_process(COMMAND /bin/sh -c "'${FAKE_SERVER}' --port-file '${WORK_DIR}/server.port' \
--pid-file '${WORK_DIR}/server.pid' ${server_args} >/dev/null 2>&1 &" RESULT_VARIABLE rc)
    foreach(attempt RANGE 400)
        if(EXISTS "${WORK_DIR}/server.port")
            break()
        endif()
        execute_process(COMMAND sleep 0.05)
    endforeach()
    if(NOT EXISTS "${WORK_DIR}/server.port")
        message(FATAL_ERROR "the test server did not start: ${FAKE_SERVER} ${server_args}")
    endif()
    file(STRINGS "${WORK_DIR}/server.port" port)
    file(STRINGS "${WORK_DIR}/server.pid" server_pid)
endif()

if(EXISTS "${CASE_DIR}/setup")
    file(STRINGS "${CASE_DIR}/setup" setup_lines)
    foreach(line IN LISTS setup_lines)
        expand(line "${line}")
        if(line MATCHES "^sh: (.*)$")
            execute_process(COMMAND /bin/sh -c "${CMAKE_MATCH_1}" RESULT_VARIABLE rc
                            ERROR_VARIABLE err OUTPUT_QUIET)
        else()
            separate_arguments(args UNIX_COMMAND "${line}")
            execute_process(COMMAND "${VRAMPLAN}" ${args} RESULT_VARIABLE rc ERROR_VARIABLE err
                            OUTPUT_QUIET)
        endif()
        if(NOT rc EQUAL 0)
            if(server_pid)
                execute_process(COMMAND kill ${server_pid} OUTPUT_QUIET ERROR_QUIET)
            endif()
            message(FATAL_ERROR "setup failed (${rc}): vramplan ${line}\n${err}")
        endif()
    endforeach()
endif()

file(STRINGS "${CASE_DIR}/cmd" cmd_lines)
set(args "")
foreach(line IN LISTS cmd_lines)
    expand(line "${line}")
    list(APPEND args "${line}")
endforeach()
execute_process(COMMAND "${VRAMPLAN}" ${args} WORKING_DIRECTORY "${DATA_DIR}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(server_pid)
    execute_process(COMMAND kill ${server_pid} OUTPUT_QUIET ERROR_QUIET)
endif()
string(REPLACE "${WORK_DIR}" "@WORK@" out "${out}")
string(REPLACE "${DATA_DIR}" "@DATA@" out "${out}")
string(REPLACE "${WORK_DIR}" "@WORK@" err "${err}")
if(server_pid)
    string(REPLACE ":${port}" ":@PORT@" out "${out}")
    string(REPLACE ":${port}" ":@PORT@" err "${err}")
endif()
string(REPLACE "${DATA_DIR}" "@DATA@" err "${err}")

if(EXISTS "${CASE_DIR}/mask")
    file(STRINGS "${CASE_DIR}/mask" masks)
    foreach(mask IN LISTS masks)
        set(replacement "~")
        string(FIND "${mask}" " => " arrow)
        if(NOT arrow EQUAL -1)
            math(EXPR after "${arrow} + 4")
            string(SUBSTRING "${mask}" ${after} -1 replacement)
            string(SUBSTRING "${mask}" 0 ${arrow} mask)
        endif()
        string(REGEX REPLACE "${mask}" "${replacement}" out "${out}")
    endforeach()
endif()

if("$ENV{VRAMPLAN_UPDATE_GOLDEN}" STREQUAL "1")
    file(WRITE "${CASE_DIR}/stdout" "${out}")
    file(WRITE "${CASE_DIR}/exit_code" "${rc}\n")
    message(STATUS "updated ${CASE_DIR}")
    return()
endif()

file(READ "${CASE_DIR}/exit_code" want_rc)
string(STRIP "${want_rc}" want_rc)
set(failed "")
if(NOT rc STREQUAL want_rc)
    string(APPEND failed "exit code ${rc}, expected ${want_rc}\n")
endif()
file(READ "${CASE_DIR}/stdout" want_out)
if(NOT out STREQUAL want_out)
    file(WRITE "${WORK_DIR}/actual.stdout" "${out}")
    execute_process(COMMAND diff -u "${CASE_DIR}/stdout" "${WORK_DIR}/actual.stdout"
                    OUTPUT_VARIABLE diff)
    string(APPEND failed "stdout differs:\n${diff}\n")
endif()
if(EXISTS "${CASE_DIR}/stderr")
    file(STRINGS "${CASE_DIR}/stderr" want_err)
    foreach(text IN LISTS want_err)
        string(FIND "${err}" "${text}" at)
        if(at EQUAL -1)
            string(APPEND failed "stderr lacks: ${text}\n")
        endif()
    endforeach()
endif()
if(failed)
    message(FATAL_ERROR "golden case ${CASE_DIR} failed:\n${failed}stderr was:\n${err}")
endif()

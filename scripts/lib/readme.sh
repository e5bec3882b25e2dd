# Sourced by .ci/run and scripts/check-demo.sh: `readme_command N` prints the Nth command of README.md's
# "Two commands" block, without its comment, so CI runs exactly what README tells a newcomer to type.
readme_command() {
  awk '/^## Two commands/ { f = 1 } f && /^```sh/ { b = 1; next } b && /^```/ { exit } b' README.md |
    sed -n "${1}p" | sed -E 's/[[:space:]]+#.*$//'
}

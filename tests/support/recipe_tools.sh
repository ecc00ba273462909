#!/usr/bin/env bash
# Install the real tools that tests/test_recipes.py runs the deployment recipes with, at the
# versions docs/recipes names, into one folder; then point the tests at it:
#
#     bash tests/support/recipe_tools.sh "$HOME/.cache/tagpip-recipe-tools"
#     export TAGPIP_RECIPE_TOOLS="$HOME/.cache/tagpip-recipe-tools"
#
# Each tool gets its own virtual environment or npm prefix (none goes into the test
# environment), and a link in DIR/bin. PyPI and the npm registry only; no AWS account.
# A tool already installed at its version is left as it is.
set -euo pipefail

dir="${1:?usage: recipe_tools.sh DIR}"
python="${PYTHON:-python3}"
mkdir -p "$dir/bin"
dir="$(cd "$dir" && pwd)"

python_tool() {  # NAME REQUIREMENT... -- LINKED-SCRIPT...
    local name="$1"; shift
    local requirements=()
    while [ "$1" != "--" ]; do requirements+=("$1"); shift; done
    shift
    if [ ! -f "$dir/$name/.installed" ] || [ "$(cat "$dir/$name/.installed")" != "${requirements[*]}" ]; then
        rm -rf "$dir/$name"
        "$python" -m venv "$dir/$name"
        "$dir/$name/bin/python" -m pip install -q --disable-pip-version-check "${requirements[@]}"
        echo "${requirements[*]}" > "$dir/$name/.installed"
    fi
    for script in "$@"; do ln -sfn "../$name/bin/$script" "$dir/bin/$script"; done
}

npm_tool() {  # NAME PACKAGE@VERSION LINKED-SCRIPT
    local name="$1" package="$2" script="$3"
    if [ ! -f "$dir/$name/.installed" ] || [ "$(cat "$dir/$name/.installed")" != "$package" ]; then
        rm -rf "$dir/$name"
        mkdir -p "$dir/$name"
        npm install --prefix "$dir/$name" --no-fund --no-audit --loglevel=error "$package"
        echo "$package" > "$dir/$name/.installed"
    fi
    ln -sfn "../$name/node_modules/.bin/$script" "$dir/bin/$script"
}

# AWS SAM CLI: docs/recipes/aws-sam.md
python_tool sam aws-sam-cli==1.170.0 -- sam
# pex: docs/recipes/pex.md
python_tool pex pex==2.105.2 -- pex pex3
# The published JSON schemas of GitHub workflows and GitLab CI: docs/recipes/ci.md
python_tool check-jsonschema check-jsonschema==0.39.0 -- check-jsonschema
# The CDK: the toolkit from npm, and the Python library the app imports (the tests put this
# environment's bin first on PATH, as an activated virtual environment would be).
npm_tool cdk aws-cdk@2.1149.0 cdk
python_tool cdk-python aws-cdk-lib==2.275.0 constructs==10.8.1 --
# Serverless Framework 3 (version 4's npm package downloads the framework at first run):
# docs/recipes/serverless.md
npm_tool serverless serverless@3.40.0 serverless

echo "recipe tools in $dir/bin: $(ls "$dir/bin" | tr '\n' ' ')"

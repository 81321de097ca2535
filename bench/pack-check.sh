#!/usr/bin/env bash
# dotnet pack end to end: packs the libraries and the CLI tool, installs the tool into a temporary folder and runs it,
# and builds and runs a new console project that takes RecLoss.Core as a package and trains, saves, loads and
# recommends (the README's "Use as a package" steps). Run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet pack RecLoss.slnx -c Release -o "$work/packages" > "$work/pack.log" || { cat "$work/pack.log"; exit 1; }
ls "$work/packages"
# A private package cache: a package of the same version from an earlier run must not stand in for this one.
export NUGET_PACKAGES="$work/cache"
version=$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' Directory.Build.props)
dotnet tool install RecLoss.Cli --version "$version" --tool-path "$work/tools" --add-source "$work/packages" > /dev/null
"$work/tools/recloss" --version
"$work/tools/recloss" demo --epochs 1 --save "$work/demo.rlm" > /dev/null
"$work/tools/recloss" recommend --model "$work/demo.rlm" --user 0 --k 3

mkdir "$work/consumer"
cp nuget.config "$work/consumer/" 2>/dev/null || true
cat > "$work/consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup><PackageReference Include="RecLoss.Core" Version="$version" /></ItemGroup>
</Project>
XML
cp samples/QuickStart/Program.cs "$work/consumer/Program.cs"
dotnet run --project "$work/consumer" --source "$work/packages" -p:RestoreAdditionalProjectSources="$work/packages" > "$work/run.log" 2>&1 || { cat "$work/run.log"; exit 1; }
cat "$work/run.log"
echo "pack check passed"

#!/usr/bin/env bash
# Prints which top-level folder of src/Teehouse.Lite uses which, one line per folder: `Apps -> Auth Cvms ...`.
# Same rules as tests/Teehouse.Lite.Tests/Architecture/FeatureGraph.cs: a file belongs to its top-level folder
# ("(root)" for Program.cs); `Teehouse.Lite.X` names and partially qualified `X.` names count, comments and literals
# do not (interpolation holes do). The regexes here approximate that test's lexer; the test is the authority.
set -euo pipefail
cd "$(dirname "$0")/../src/Teehouse.Lite"

find . -name '*.cs' -not -path './bin/*' -not -path './obj/*' -print0 | sort -z | perl -0 -e '
  my @files = map { s{^\./}{}r } <STDIN>;
  chomp @files;
  sub folder { my @p = split m{/}, $_[0]; @p == 1 ? "(root)" : $p[0] }
  my %folders = map { folder($_) => 1 } @files;
  my @names = grep { $_ ne "(root)" } sort keys %folders;
  my $names = join "|", map { quotemeta } @names;
  my %deps = map { $_ => {} } keys %folders;
  sub holes { join " ", $_[0] =~ /\{([^{}]*)\}/g }   # interpolation holes are code
  for my $file (@files) {
    open my $fh, "<", $file or die "$file: $!";
    local $/; my $code = <$fh>; close $fh;
    $code =~ s{
        //[^\n]*                                          # line comment (also ///)
      | /\*.*?\*/                                         # block comment
      | (\$*)("{3,})(.*?)\2                               # raw string
      | (?:\$\@|\@\$)"((?:[^"]|"")*)"                     # interpolated verbatim string
      | \@"(?:[^"]|"")*"                                  # verbatim string
      | \$"((?:[^"\\\n]|\\.)*)"                           # interpolated string
      | "(?:[^"\\\n]|\\.)*"                               # string
      | \x27(?:[^\x27\\\n]|\\.)+\x27                           # char
    }{ " " . (length($1 // "") ? holes($3) : "") . holes($4 // "") . holes($5 // "") . " " }gsex;
    $code =~ s/\bnamespace\s+[\w.]+/ /g;
    my $from = folder($file);
    my @to = ($code =~ /(?<![\w.])(?:global::)?Teehouse\.Lite\.(\w+)/g, $code =~ /(?<![\w.])($names)\./g);
    for (@to) { $deps{$from}{$_} = 1 if $_ ne $from && exists $folders{$_} && $_ ne "(root)" }
  }
  for my $f (sort keys %deps) { print join(" ", "$f ->", sort keys %{ $deps{$f} }) =~ s/ +$//r, "\n" }
'

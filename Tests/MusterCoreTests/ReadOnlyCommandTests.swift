import Testing
@testable import MusterCore

@Suite("The read-only classifier")
struct ReadOnlyCommandTests {
    static let readOnlyCommands = [
        "ls", "ls -la", "ls -la src", "cat README.md", "cat 'a file.txt'", "head -n 20 Package.swift", "tail -n 5 log.txt",
        "wc -l *.swift", "pwd", "echo hello", "echo 'a; b'", "grep -rn TODO .", "grep -c 'x|y' file", "rg foo",
        "rg -n 'a b' src", "find . -name '*.swift'", "find . -type f -print", "find . \\( -name .git \\) -prune -o -print",
        "git status", "git status --short", "git diff", "git diff HEAD~1 -- README.md", "git log --oneline -5", "git show HEAD",
        "git blame README.md", "git branch", "git branch -a", "git ls-files", "ls | wc -l", "cat a | grep x | sort | head",
        "grep -rIE -c 'TODO|FIXME' . | grep -v ':0$' | sort -t: -k2 -rn | head -8", "du -sh src", "stat README.md",
        "sort -rn counts.txt", "diff a b", "git rev-parse HEAD", "tree -L 2", "echo \"plain text\"",
    ]

    static let hostileCommands = [
        // Sequences, background jobs, conditionals.
        "ls; rm -rf x", "ls;rm x", "grep x && rm y", "ls || rm x", "ls & rm x", "ls\nrm x", "ls\rrm x",
        "ls \\\nrm x",
        // Redirections.
        "cat a > b", "cat a >> b", "echo x >file", "ls 2>/dev/null", "cat < /etc/passwd", "ls >| b",
        // Substitutions and expansions.
        "echo $(rm x)", "echo `rm x`", "cat \"$(rm -rf ~)\"", "$(rm -rf ~)", "echo $HOME", "echo ${x:=y}",
        "echo \"`id`\"", "cat <(rm x)", "ls ~", "echo \"$PATH\"",
        // Pipes into anything not on the list.
        "git log | sh", "cat x | bash", "ls | xargs rm", "find . | xargs rm", "ls | tee out", "cat a | sed -i s/a/b/ b",
        // Commands that write or run things.
        "rm x", "rm -rf /", "mv a b", "cp a b", "touch x", "mkdir d", "chmod +x f", "sed -i s/a/b/ f", "awk '{system(\"rm x\")}'",
        "make test", "npm install", "python3 -c 'print(1)'", "sh -c ls", "bash", "sudo ls", "env rm x", "env", "command rm x",
        "builtin echo", "exec ls", "eval ls", "xargs rm", "nice rm x", "timeout 5 rm x", "time rm x", "/bin/rm x", "./script.sh",
        "/bin/ls", "FOO=bar ls", "PAGER=sh git log", "uniq a b", "date -s 2020-01-01", "tee x", "dd if=a of=b",
        // find and sort options that write or run.
        "find . -exec rm {} \\;", "find . -execdir rm {} +", "find . -delete", "find . -ok rm {} \\;", "find . -fprint out",
        "find . -name x -delete", "sort -o out in", "sort -ro out in", "sort --output=out in",
        // rg and git options that run programs or write.
        "rg --pre sh x", "rg --pre=sh x", "git -c core.pager=sh log", "git -c alias.x=!rm x", "git -C /tmp status",
        "git --exec-path=/tmp log", "git diff --output=x", "git log --output=f", "git diff --ext-diff",
        "git grep -O x", "git branch -D main", "git branch -m a b", "git tag -d v1", "git remote add x y", "git commit -m x",
        "git push", "git checkout .", "git reset --hard", "git clean -fdx", "git stash", "git config core.pager sh",
        // Quoting that does not end, comments, subshells, functions.
        "echo 'x", "echo \"x", "ls \\", "ls # ; rm x", "(rm x)", "{ rm x; }", "f() { rm x; }", "",
        "   ", "|", "ls |", "| ls", "!", "! ls",
    ]

    @Test("At least 60 commands are classified, the hostile ones not read-only")
    func tableSize() {
        #expect(Self.readOnlyCommands.count + Self.hostileCommands.count >= 60)
    }

    @Test("Read-only commands need no approval", arguments: readOnlyCommands)
    func readOnly(command: String) {
        #expect(ReadOnlyCommand.isReadOnly(command))
    }

    @Test("Commands that may write or run anything are not read-only", arguments: hostileCommands)
    func notReadOnly(command: String) {
        #expect(!ReadOnlyCommand.isReadOnly(command))
    }
}

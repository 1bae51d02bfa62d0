using System.Text;

namespace Teehouse.Lite.Tests.Architecture;

/// <summary>
/// Just enough of C#'s lexical grammar to blank out comments and string/char literals, so that a name in a doc
/// comment or a message is not mistaken for a reference. Interpolation holes are code and are kept.
/// </summary>
public static class CSharpSource
{
    public static string StripCommentsAndLiterals(string source)
    {
        var output = new StringBuilder(source.Length);
        var i = 0;
        Code(source, ref i, output, inHole: false);
        return output.ToString();
    }

    /// <summary>Copies code; inside an interpolation hole, returns after the '}' that closes it.</summary>
    private static void Code(string s, ref int i, StringBuilder o, bool inHole)
    {
        var depth = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '/' && At(s, i + 1) == '/')
            {
                while (i < s.Length && s[i] != '\n') i++;
            }
            else if (c == '/' && At(s, i + 1) == '*')
            {
                var end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? s.Length : end + 2;
                o.Append(' ');
            }
            else if (c == '\'')
            {
                for (i++; i < s.Length && s[i] != '\''; i++) if (s[i] == '\\') i++;
                i++;
                o.Append(' ');
            }
            else if ((c is '"' or '$' or '@') && TryString(s, ref i, o)) { }
            else
            {
                if (inHole && c == '{') depth++;
                if (inHole && c == '}' && depth-- == 0) { i++; return; }
                o.Append(c);
                i++;
            }
        }
    }

    /// <summary>Consumes a string literal starting at i (regular, verbatim, raw, any of them interpolated).</summary>
    private static bool TryString(string s, ref int i, StringBuilder o)
    {
        var j = i;
        int dollars = 0;
        var verbatim = false;
        for (; j < s.Length && s[j] is '$' or '@'; j++)
        {
            if (s[j] == '$') dollars++;
            else verbatim = true;
        }
        if (At(s, j) != '"') return false;
        var quotes = 0;
        while (At(s, j + quotes) == '"') quotes++;
        o.Append(' ');
        if (quotes == 2) { i = j + 2; return true; } // ""
        if (quotes >= 3) { i = Raw(s, j + quotes, quotes, dollars, o); return true; }

        for (j++; j < s.Length; j++)
        {
            var c = s[j];
            if (!verbatim && c == '\\') { j++; continue; }
            if (c == '"')
            {
                if (verbatim && At(s, j + 1) == '"') { j++; continue; }
                break;
            }
            if (dollars > 0 && c == '{')
            {
                if (At(s, j + 1) == '{') { j++; continue; }
                j++;
                Code(s, ref j, o, inHole: true);
                j--;
            }
        }
        i = j + 1;
        return true;
    }

    private static int Raw(string s, int j, int quotes, int dollars, StringBuilder o)
    {
        var close = new string('"', quotes);
        while (j < s.Length)
        {
            if (string.CompareOrdinal(s, j, close, 0, quotes) == 0) return j + quotes;
            if (dollars > 0 && s[j] == '{')
            {
                var run = 0;
                while (At(s, j + run) == '{') run++;
                j += run;
                if (run < dollars) continue; // literal braces
                Code(s, ref j, o, inHole: true);
                for (var k = 1; k < dollars && At(s, j) == '}'; k++) j++;
                continue;
            }
            j++;
        }
        return j;
    }

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';
}

namespace Elastic.Cli.Console;

/// <summary>Where long-running CLI work reports what it is doing.</summary>
internal interface IProgressReporter
{
    void Status(string message);

    /// <summary>A fraction 0..1 of the current phase.</summary>
    void Report(string phase, double fraction);

    void Done();
}

/// <summary>A one-line progress bar on a terminal; plain lines when output is redirected.</summary>
internal sealed class ConsoleProgress(TextWriter output, bool interactive) : IProgressReporter
{
    private const int Width = 30;
    private string _lastPhase = "";
    private bool _barShown;

    public static ConsoleProgress ForStandardError() => new(System.Console.Error, !System.Console.IsErrorRedirected);

    public void Status(string message)
    {
        ClearBar();
        output.WriteLine(message);
        _lastPhase = "";
    }

    public void Report(string phase, double fraction)
    {
        fraction = Math.Clamp(fraction, 0, 1);
        if (!interactive)
        {
            if (phase != _lastPhase)
            {
                output.WriteLine(phase);
                _lastPhase = phase;
            }

            return;
        }

        var filled = (int)Math.Round(fraction * Width);
        output.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {fraction * 100,5:F1}% {phase}".PadRight(100));
        _barShown = true;
        _lastPhase = phase;
    }

    public void Done() => ClearBar();

    private void ClearBar()
    {
        if (_barShown)
        {
            output.Write('\r' + new string(' ', 100) + '\r');
            _barShown = false;
        }
    }
}

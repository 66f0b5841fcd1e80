package dev.actlab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "steer", description = {"Steering vectors: extract one from contrastive texts as a llama.cpp control vector, or sweep its strength.",
        "Apply a vector with --control-vector / --control-vector-scaled / --control-vector-layer-range on run, ppl, logits and inspect."},
        subcommands = {SteerExtractCommand.class, SteerSweepCommand.class, CommandLine.HelpCommand.class})
final class SteerCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { throw new CommandLine.ParameterException(spec.commandLine(), "choose a subcommand: extract or sweep"); }
}

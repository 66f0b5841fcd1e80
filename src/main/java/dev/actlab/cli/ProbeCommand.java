package dev.actlab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "probe", description = "Linear probes on activations: per-layer logistic-regression and mass-mean probes under k-fold cross-validation.",
        subcommands = {ProbeTrainCommand.class, ProbeApplyCommand.class, CommandLine.HelpCommand.class})
final class ProbeCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { throw new CommandLine.ParameterException(spec.commandLine(), "choose a subcommand: train or apply"); }
}

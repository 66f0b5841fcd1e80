package dev.actlab.model.hook;

/** Called with the activation at a site; may read it or overwrite it in place. */
@FunctionalInterface
public interface Hook {
    void apply(Activation activation);

    default Hook andThen(Hook next) { return a -> { apply(a); next.apply(a); }; }
}

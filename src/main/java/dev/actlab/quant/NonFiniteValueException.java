package dev.actlab.quant;

/** A NaN or infinity reached a number format that has no encoding for it, or a result that must be finite is not. */
public final class NonFiniteValueException extends IllegalArgumentException {
    public NonFiniteValueException(String message) { super(message); }
}

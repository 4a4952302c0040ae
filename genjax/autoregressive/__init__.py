"""Autoregressive models: NADE, MADE, PixelCNN, Gated PixelCNN and PixelRNN (Row LSTM,
Diagonal BiLSTM), with Bernoulli, 256-way softmax and discretised logistic mixture heads."""
from genjax.autoregressive import dense, heads, modules, sampling
from genjax.autoregressive.method import Model, build, protocol

__all__ = ["Model", "build", "dense", "heads", "modules", "protocol", "sampling"]
